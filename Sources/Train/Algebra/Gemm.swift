import CLAPACK

/// Row-major real matrix products through BLAS (`cblas_dgemm` for the Double path, `cblas_sgemm` for the
/// single-precision one).
///
/// The dense parts of training — the input projection U x and the readout V o with their gradients — are the
/// same product for every step of a chunk, so they are done for all T·B rows at once: large GEMMs that BLAS runs
/// fast (and on all cores), even in a debug build. Only the recurrence is step by step.
enum Gemm {
    /// C ← α·op(A)·op(B) + β·C with op(X) = X or Xᵀ; C is m × n, op(A) m × k, op(B) k × n, all row-major with
    /// leading dimensions (row strides) lda, ldb, ldc.
    static func multiply<Scalar: GemmScalar>(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Scalar = 1,
        a: UnsafePointer<Scalar>, lda: Int, b: UnsafePointer<Scalar>, ldb: Int,
        beta: Scalar, c: UnsafeMutablePointer<Scalar>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // An empty sum: C ← β·C, with β = 0 meaning "overwrite" as in BLAS (stale C is never read).
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        Scalar.gemm(transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// The same product split into `threads` blocks of rows of C (or of columns when C is wider than tall), each a
    /// single-threaded BLAS call on its own thread. OpenBLAS's own threads would do the splitting too, but between
    /// products they spin in `sched_yield` and take the cores from the passes' workers.
    static func multiply<Scalar: GemmScalar>(
        threads: Int, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Scalar = 1,
        a: UnsafePointer<Scalar>, lda: Int, b: UnsafePointer<Scalar>, ldb: Int,
        beta: Scalar, c: UnsafeMutablePointer<Scalar>, ldc: Int
    ) {
        let byRows = m >= n
        let blocks = BatchPartition(batchSize: byRows ? m : n, workers: threads)
        blocks.run { _, range in
            if byRows {
                multiply(transposeA: transposeA, transposeB: transposeB, m: range.count, n: n, k: k, alpha: alpha,
                         a: a + range.lowerBound * (transposeA ? 1 : lda), lda: lda, b: b, ldb: ldb, beta: beta,
                         c: c + range.lowerBound * ldc, ldc: ldc)
            } else {
                multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: range.count, k: k, alpha: alpha,
                         a: a, lda: lda, b: b + range.lowerBound * (transposeB ? ldb : 1), ldb: ldb, beta: beta,
                         c: c + range.lowerBound, ldc: ldc)
            }
        }
    }
}

/// A scalar type BLAS multiplies.
protocol GemmScalar: BinaryFloatingPoint {
    static func gemm(_ transposeA: CBLAS_TRANSPOSE, _ transposeB: CBLAS_TRANSPOSE, _ m: blasint, _ n: blasint,
                     _ k: blasint, _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: blasint, _ b: UnsafePointer<Self>,
                     _ ldb: blasint, _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: blasint)
}

extension Double: GemmScalar {
    static func gemm(_ transposeA: CBLAS_TRANSPOSE, _ transposeB: CBLAS_TRANSPOSE, _ m: blasint, _ n: blasint,
                     _ k: blasint, _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: blasint,
                     _ b: UnsafePointer<Double>, _ ldb: blasint, _ beta: Double, _ c: UnsafeMutablePointer<Double>,
                     _ ldc: blasint) {
        cblas_dgemm(CblasRowMajor, transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

extension Float: GemmScalar {
    static func gemm(_ transposeA: CBLAS_TRANSPOSE, _ transposeB: CBLAS_TRANSPOSE, _ m: blasint, _ n: blasint,
                     _ k: blasint, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: blasint,
                     _ b: UnsafePointer<Float>, _ ldb: blasint, _ beta: Float, _ c: UnsafeMutablePointer<Float>,
                     _ ldc: blasint) {
        cblas_sgemm(CblasRowMajor, transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}
