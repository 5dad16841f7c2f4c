import KRUInference

/// Haar-random unitary (and, for rectangular shapes, isometric) complex matrices, made in Double by
/// Gram–Schmidt QR of a complex Gaussian matrix.
///
/// Why Gram–Schmidt of our own rather than LAPACK: the matrices are tiny (factors are a few rows), and the
/// result must depend only on `KRURandom`'s stream. Orthonormalising the Gaussian vectors in order is the QR
/// decomposition with a positive real diagonal of R, which makes Q Haar-distributed (Mezzadri, "How to generate
/// random matrices from the classical compact groups", 2007). Each vector is orthogonalised twice
/// ("twice is enough", Giraud et al. 2005) so the result is unitary to rounding even when vectors are nearly
/// dependent.
enum RandomUnitary {
    /// A `rows × columns` matrix as split planes (row-major). Square: unitary. Tall (P > Q): orthonormal columns,
    /// WᴴW = I. Wide (P < Q): orthonormal rows, WWᴴ = I. With `real`, a Haar-random orthogonal matrix (the same
    /// Gram–Schmidt on a real Gaussian matrix; the imaginary plane is zero).
    static func make(rows: Int, columns: Int, real: Bool = false,
                     random: inout KRURandom) -> (real: [Double], imaginary: [Double]) {
        var re = [Double](repeating: 0, count: rows * columns)
        var im = re
        var i = 0
        while i < rows * columns {
            // Unit-variance Gaussians; the scale is irrelevant after normalisation.
            let (a, b) = random.nextStandardNormalPair()
            if real {
                re[i] = a
                if i + 1 < rows * columns { re[i + 1] = b }
                i += 2
            } else {
                (re[i], im[i]) = (a, b)
                i += 1
            }
        }
        // Orthonormalise the shorter family: columns of a tall matrix, rows of a wide one.
        let tall = rows >= columns
        let count = tall ? columns : rows, length = tall ? rows : columns
        func index(_ vector: Int, _ k: Int) -> Int { tall ? k * columns + vector : vector * columns + k }
        for v in 0..<count {
            for _ in 0..<2 {
                for u in 0..<v {
                    // c = ⟨u, v⟩ = Σ conj(u_k) v_k; v ← v − c·u.
                    var cr = 0.0, ci = 0.0
                    for k in 0..<length {
                        let (ur, ui, vr, vi) = (re[index(u, k)], im[index(u, k)], re[index(v, k)], im[index(v, k)])
                        cr += ur * vr + ui * vi
                        ci += ur * vi - ui * vr
                    }
                    for k in 0..<length {
                        let (ur, ui) = (re[index(u, k)], im[index(u, k)])
                        re[index(v, k)] -= cr * ur - ci * ui
                        im[index(v, k)] -= cr * ui + ci * ur
                    }
                }
            }
            var norm = 0.0
            for k in 0..<length { norm += re[index(v, k)] * re[index(v, k)] + im[index(v, k)] * im[index(v, k)] }
            norm = norm.squareRoot()
            // A zero norm has probability zero for Gaussian draws; fall back to a basis vector rather than NaN.
            for k in 0..<length {
                re[index(v, k)] = norm > 0 ? re[index(v, k)] / norm : (k == v ? 1 : 0)
                im[index(v, k)] = norm > 0 ? im[index(v, k)] / norm : 0
            }
        }
        return (re, im)
    }
}
