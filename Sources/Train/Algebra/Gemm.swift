import CLAPACK

/// Row-major real matrix products through BLAS (`cblas_dgemm`).
///
/// The dense parts of training — the input projection U x and the readout V o with their gradients — are the
/// same product for every step of a chunk, so they are done for all T·B rows at once: large GEMMs that BLAS runs
/// fast (and on all cores), even in a debug build. Only the recurrence is step by step.
enum Gemm {
    /// C ← α·op(A)·op(B) + β·C with op(X) = X or Xᵀ; C is m × n, op(A) m × k, op(B) k × n, all row-major with
    /// leading dimensions (row strides) lda, ldb, ldc.
    static func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double = 1,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // An empty sum: C ← β·C, with β = 0 meaning "overwrite" as in BLAS (stale C is never read).
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}
