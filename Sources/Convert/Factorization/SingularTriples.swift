extension NearestKronecker {
    /// The top r singular triples of an m × n matrix R = Σ σ_k u_k v_kᴴ.
    struct SingularTriples<S: Scalar> {
        /// σ_k, descending.
        var values: [Double]
        /// u_k (length m), orthonormal.
        var left: [[S]]
        /// Row k of Vᴴ, i.e. conj(v_k) (length n) — the vector that becomes a factor with no further conjugation,
        /// since R(B ⊗ C) = vec(B)·vec(C)ᵀ (docs/KRONECKER.md §2).
        var rightAdjoint: [[S]]
        /// The solver that ran (never `.automatic`).
        var solver: SingularSolver
        /// Lanczos: products with R; other solvers: 0.
        var steps: Int = 0
        /// Lanczos: false if the step cap ended it before the residual test passed.
        var converged: Bool = true
    }

    /// Picks the solver for an m × n matrix. `.automatic` follows docs/KRONECKER.md §7: the Gram route
    /// while the short side s ≤ 256 (its cost m·n·s is BLAS-3 work and the eigenproblem is tiny); LAPACK's
    /// `?gesvdx` while s < 1024 and m·n·s < 2³⁰; Lanczos otherwise, so no full SVD of a large square
    /// rearrangement (N ≥ 1024 for F = 2) is ever started.
    static func resolvedSolver(_ requested: SingularSolver, rows m: Int, columns n: Int) -> SingularSolver {
        guard requested == .automatic else { return requested }
        let s = min(m, n)
        if s <= 256 { return .gramEigen }
        if s < 1024, m * n * s < 1 << 30 { return .lapackSVD }
        return .lanczos
    }

    /// Top `count` singular triples of the row-major m × n matrix `r`, with the solver chosen by
    /// ``resolvedSolver(_:rows:columns:)``. A zero matrix gives σ = 0 with unit basis vectors.
    static func topSingularTriples<S: Scalar>(
        of r: UnsafeBufferPointer<S>, rows m: Int, columns n: Int, count: Int, options: Options, seed: UInt64,
        progress: (Double) -> Void = { _ in }
    ) throws(KroneckerFactorizationError) -> SingularTriples<S> {
        let solver = resolvedSolver(options.singularSolver, rows: m, columns: n)
        let normSquared = squaredNorm(r)
        guard normSquared > 0 else {
            return SingularTriples(
                values: Array(repeating: 0, count: count), left: (0..<count).map { unitVector($0, count: m) },
                rightAdjoint: (0..<count).map { unitVector($0, count: n) }, solver: solver)
        }
        switch solver {
        case .automatic, .gramEigen:
            return try gramTriples(r, rows: m, columns: n, count: count)
        case .lapackSVD:
            var copy = Array(r)
            let (values, u, vt) = try copy.withUnsafeMutableBufferPointer { a throws(KroneckerFactorizationError) in
                try S.topSingularTriplesLAPACK(a.baseAddress!, rows: m, columns: n, count: count)
            }
            return SingularTriples(
                values: values, left: (0..<count).map { k in (0..<m).map { u[$0 * count + k] } },
                rightAdjoint: (0..<count).map { Array(vt[($0 * n)..<($0 * n + n)]) }, solver: .lapackSVD)
        case .lanczos:
            let lanczos = LanczosBidiagonalization(matrix: r, rows: m, columns: n, normSquared: normSquared)
            return try lanczos.topTriples(
                count: count, tolerance: options.singularTolerance, maxSteps: options.maxLanczosSteps, seed: seed,
                progress: progress)
        }
    }

    /// Gram route: G = R·Rᴴ (m ≤ n) or Rᴴ·R (m > n), its top eigenvectors give one side; the other side is
    /// R-projected: for m ≤ n, w_k = u_kᴴR, σ_k = ‖w_k‖, Vᴴ row = w_k/σ_k. Taking σ_k from the projection rather
    /// than from √λ_k keeps σ_k accurate even when λ_k is small, and the term σ_k u_k v_kᴴ = u_k u_kᴴ R is an
    /// exact projection of R whatever the eigenvector error.
    private static func gramTriples<S: Scalar>(
        _ r: UnsafeBufferPointer<S>, rows m: Int, columns n: Int, count: Int
    ) throws(KroneckerFactorizationError) -> SingularTriples<S> {
        let ofRows = m <= n
        let s = ofRows ? m : n
        var gram = [S](repeating: .zero, count: s * s)
        gram.withUnsafeMutableBufferPointer { g in
            S.gramUpper(r.baseAddress!, rows: m, columns: n, ofRows: ofRows, into: g.baseAddress!)
            // Mirror the upper triangle so the eigen solver sees the full Hermitian matrix in either layout.
            for i in 0..<s { for j in 0..<i { g[i * s + j] = g[j * s + i].conjugate } }
        }
        let (_, vectors) = try gram.withUnsafeMutableBufferPointer { g throws(KroneckerFactorizationError) in
            try S.largestEigenpairs(g.baseAddress!, order: s, count: count)
        }
        // LAPACK returns eigenvalues ascending: column count−1 is the largest.
        let short = (0..<count).map { k in (0..<s).map { vectors[$0 * count + (count - 1 - k)] } }
        var values: [Double] = []
        var long: [[S]] = []
        let longLength = ofRows ? n : m
        var projected = [S](repeating: .zero, count: longLength)
        for k in 0..<count {
            short[k].withUnsafeBufferPointer { x in
                projected.withUnsafeMutableBufferPointer { y in
                    if ofRows {  // Rᴴ·u = σ·v
                        S.gemv(.rowMajor, .adjoint, rows: m, columns: n, alpha: S(real: 1), r.baseAddress!, lda: n,
                               x.baseAddress!, beta: .zero, y.baseAddress!)
                    } else {  // R·v
                        S.gemv(.rowMajor, .none, rows: m, columns: n, alpha: S(real: 1), r.baseAddress!, lda: n,
                               x.baseAddress!, beta: .zero, y.baseAddress!)
                    }
                }
            }
            let (unit, norm) = normalized(projected)
            values.append(norm)
            long.append(unit)
        }
        if ofRows {
            // Rᴴu_k = σ_k v_k, so the Vᴴ row conj(v_k) is the conjugate of the normalized projection.
            return SingularTriples(
                values: values, left: short, rightAdjoint: long.map { $0.map(\.conjugate) }, solver: .gramEigen)
        }
        return SingularTriples(
            values: values, left: long, rightAdjoint: short.map { $0.map(\.conjugate) }, solver: .gramEigen)
    }

    /// e_index of length `count` (e_0 if index is out of range).
    static func unitVector<S: Scalar>(_ index: Int, count: Int) -> [S] {
        var e = [S](repeating: .zero, count: count)
        e[index < count ? index : 0] = S(real: 1)
        return e
    }
}
