import KRUInference

/// kru's kernel as a session runs it: y_k = (W_0 ⊗ … ⊗ W_{F−1})·x_k for complex x_k in split planes, through
/// ComplexKroneckerOperator.apply with a workspace and buffers allocated once, up front.
final class KroneckerStep {
    let size: Int
    let factors: [ComplexKroneckerFactor]
    let inputReal: [Float]
    let inputImaginary: [Float]
    private let operatorUnderTest: ComplexKroneckerOperator
    private let workspace: KroneckerWorkspace
    private let xr: FloatBuffer, xi: FloatBuffer
    let yr: FloatBuffer, yi: FloatBuffer

    /// log2(size) random unitary 2 × 2 factors; inputs for batches of up to `maxBatchSize` vectors.
    init(size: Int, maxBatchSize: Int, random: inout RandomData) throws {
        precondition(size >= 2 && size & (size - 1) == 0, "the 2 × 2 factorisation needs a power of two")
        self.size = size
        factors = (0..<size.trailingZeroBitCount).map { _ in random.unitaryFactor() }
        operatorUnderTest = try ComplexKroneckerOperator(factors: factors)
        workspace = try operatorUnderTest.makeWorkspace(maxBatchSize: maxBatchSize)
        inputReal = random.gaussian(maxBatchSize * size)
        inputImaginary = random.gaussian(maxBatchSize * size)
        xr = FloatBuffer(inputReal)
        xi = FloatBuffer(inputImaginary)
        yr = FloatBuffer(count: maxBatchSize * size)
        yi = FloatBuffer(count: maxBatchSize * size)
    }

    /// Which kernel the operator runs (the C chain kernel's instruction set, or the per-pass loops).
    var kernelDescription: String { operatorUnderTest.kernelDescription }

    func run(batchSize: Int) {
        operatorUnderTest.apply(inputReal: xr.readOnly, inputImaginary: xi.readOnly, outputReal: yr.pointer,
                                outputImaginary: yi.pointer, batchSize: batchSize, workspace: workspace)
    }
}
