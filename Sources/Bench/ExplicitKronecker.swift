import KRUInference

/// Forms W_0 ⊗ … ⊗ W_{F−1} as an explicit complex matrix, interleaved (re, im), row-major, `numpy.kron` order
/// (factor 0 most significant). Only for the dense complex baseline: it makes the baseline compute exactly what
/// the Kronecker operator computes, so their outputs can be compared.
func explicitKroneckerProduct(_ factors: [ComplexKroneckerFactor]) -> (matrix: [Float], rows: Int, columns: Int) {
    var (matrix, rows, columns): ([Float], Int, Int) = ([1, 0], 1, 1)
    for factor in factors {
        let (p, q) = (factor.rows, factor.columns)
        let newColumns = columns * q
        var product = [Float](repeating: 0, count: 2 * rows * p * newColumns)
        // (A ⊗ B)[i·P + k, j·Q + l] = A[i, j] · B[k, l] with A the product so far and B the next factor.
        for i in 0..<rows {
            for j in 0..<columns {
                let ar = matrix[2 * (i * columns + j)], ai = matrix[2 * (i * columns + j) + 1]
                for k in 0..<p {
                    for l in 0..<q {
                        let br = factor.real[k * q + l], bi = factor.imaginary[k * q + l]
                        let index = 2 * ((i * p + k) * newColumns + j * q + l)
                        product[index] = ar * br - ai * bi
                        product[index + 1] = ar * bi + ai * br
                    }
                }
            }
        }
        (matrix, rows, columns) = (product, rows * p, newColumns)
    }
    return (matrix, rows, columns)
}
