import CLAPACK

/// The dense real baseline: y_k = W·x_k for a random real N × N matrix W, through OpenBLAS in single precision.
/// Batch 1 is one cblas_sgemv; a batch is one cblas_sgemm over the batch-major vectors (Y = X·Wᵀ), the way an
/// RNN would run a batch of streams.
final class DenseRealStep {
    let size: Int
    private let matrix: FloatBuffer
    private let input: FloatBuffer
    private let output: FloatBuffer

    init(size: Int, maxBatchSize: Int, random: inout RandomData) {
        self.size = size
        // Uniform with variance 1/N (like PyTorch's RNN init); the values do not change BLAS's speed.
        let limit = (3 / Float(size)).squareRoot()
        matrix = FloatBuffer(random.uniform(size * size, -limit, limit))
        input = FloatBuffer(random.gaussian(maxBatchSize * size))
        output = FloatBuffer(count: maxBatchSize * size)
    }

    func run(batchSize: Int) {
        let n = blasint(size)
        if batchSize == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, n, n, 1, matrix.base, n, input.base, 1, 0, output.base, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(batchSize), n, n, 1, input.base, n,
                        matrix.base, n, 0, output.base, n)
        }
    }
}

/// The dense complex baseline: the same product with a complex N × N matrix (cblas_cgemv / cblas_cgemm), since
/// the KRU state is complex. BLAS wants interleaved (re, im) pairs, so matrix and vectors are interleaved here.
/// The matrix is the explicit Kronecker product of the operator's factors, so both compute the same y and the
/// benchmark can check that they agree.
final class DenseComplexStep {
    let size: Int
    private let matrix: FloatBuffer  // N × N complex, row-major, interleaved
    private let input: FloatBuffer  // batch × N complex, interleaved
    let output: FloatBuffer

    /// - Parameters:
    ///   - matrix: 2·N² floats, interleaved, row-major.
    ///   - input: batch-major complex vectors in split planes (as the Kronecker operator takes them).
    init(size: Int, matrix: [Float], inputReal: [Float], inputImaginary: [Float]) {
        self.size = size
        self.matrix = FloatBuffer(matrix)
        var interleaved = [Float](repeating: 0, count: 2 * inputReal.count)
        for k in inputReal.indices {
            interleaved[2 * k] = inputReal[k]
            interleaved[2 * k + 1] = inputImaginary[k]
        }
        input = FloatBuffer(interleaved)
        output = FloatBuffer(count: interleaved.count)
    }

    func run(batchSize: Int) {
        let n = blasint(size)
        // α = 1 + 0i, β = 0 + 0i as interleaved pairs; tuples in locals are stack memory, not heap.
        var alpha: (Float, Float) = (1, 0)
        var beta: (Float, Float) = (0, 0)
        withUnsafePointer(to: &alpha) { a in
            withUnsafePointer(to: &beta) { b in
                if batchSize == 1 {
                    cblas_cgemv(CblasRowMajor, CblasNoTrans, n, n, a, matrix.base, n, input.base, 1, b, output.base, 1)
                } else {
                    cblas_cgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(batchSize), n, n, a, input.base, n,
                                matrix.base, n, b, output.base, n)
                }
            }
        }
    }
}
