/// A complex Kronecker operator K = W_0 ⊗ W_1 ⊗ … ⊗ W_{F−1} applied without ever forming K; the
/// recurrent matrix of a KRU.
///
/// **Shapes and index convention** are those of ``RealKroneckerOperator``: W_f is P_f × Q_f, K maps
/// length ∏Q_f to length ∏P_f, factor 0 is the most significant digit, K[i, j] = ∏_f W_f[p_f, q_f]
/// (`numpy.kron` order).
///
/// **Split planes.** Factors, inputs and outputs are complex numbers held as two `Float` planes of equal
/// length: element k is `real[k] + i · imaginary[k]`. The kernels run real AXPYs on each plane, which
/// vectorise; interleaved complex64 from a model file is split once at load time.
///
/// **Batch layout.** Batch-major in each plane: vector k occupies elements `k·length ..< (k+1)·length`
/// of the real plane and the same range of the imaginary plane.
///
/// **Cost.** N·Σ_f P_f complex multiply-adds per vector for N × N operators of square factors (see
/// ``RealKroneckerOperator``), with specialised loops for 2 × 2 and 4 × 4 factors. When every factor is
/// 2 × 2 (a KRU's recurrent matrix) a C kernel applies the whole chain in SIMD registers, AVX2 or AVX-512
/// chosen at run time on x86-64 (see `ComplexChainKernel`).
///
/// The operator is immutable and `Sendable`; scratch lives in a complex ``KroneckerWorkspace`` owned by
/// the caller, so applying it never allocates.
public struct ComplexKroneckerOperator: Sendable {
    /// Factor sizes, input and output lengths.
    public let shape: KroneckerShape
    /// The factors as given, in factor order (factor 0 = most significant digit).
    public let factors: [ComplexKroneckerFactor]
    /// Whether 2 × 2 and 4 × 4 factors use their specialised loops (and all-2 × 2 chains the C kernel).
    public let usesFastPaths: Bool
    /// The C kernel for all-2 × 2 operators, or nil when the per-pass loops of the plans run.
    let chainKernel: ComplexChainKernel?

    /// All W_f, row-major, concatenated in factor order (real and imaginary planes).
    let forwardReal: [Float]
    let forwardImaginary: [Float]
    /// All W_fᴴ (conjugate transposes, Q_f × P_f), row-major, concatenated in factor order.
    let adjointReal: [Float]
    let adjointImaginary: [Float]
    let forwardPlan: KroneckerPlan
    let adjointPlan: KroneckerPlan

    /// Builds the operator W_0 ⊗ … ⊗ W_{F−1} from its factors, factor 0 first.
    ///
    /// - Parameters:
    ///   - factors: W_0 … W_{F−1}; each factor's `real` and `imaginary` must both hold `rows × columns`
    ///     values.
    ///   - allowFastPaths: leave `true`; `false` forces the general loop for every factor.
    /// - Throws: ``KroneckerOperatorError`` if there are no factors, a size is below 1, a plane's value
    ///   count does not match its shape, or a vector length exceeds ``KroneckerLimits``.
    public init(factors: [ComplexKroneckerFactor], allowFastPaths: Bool = true) throws(KroneckerOperatorError) {
        try self.init(factors: factors, allowFastPaths: allowFastPaths, chain: allowFastPaths ? .automatic : .perPass)
    }

    /// As the public initialiser, with the chain kernel chosen by `chain` (tests force each variant).
    init(
        factors: [ComplexKroneckerFactor], allowFastPaths: Bool, chain: ComplexChainKernel.Selection
    ) throws(KroneckerOperatorError) {
        let shape = try KroneckerShape(rows: factors.map(\.rows), columns: factors.map(\.columns))
        var forwardReal: [Float] = [], forwardImaginary: [Float] = []
        var adjointReal: [Float] = [], adjointImaginary: [Float] = []
        for (f, factor) in factors.enumerated() {
            let (rows, columns) = (factor.rows, factor.columns)
            guard factor.real.count == rows * columns else {
                throw .factorValueCount(factor: f, plane: "real", expected: rows * columns, actual: factor.real.count)
            }
            guard factor.imaginary.count == rows * columns else {
                throw .factorValueCount(
                    factor: f, plane: "imaginary", expected: rows * columns, actual: factor.imaginary.count)
            }
            forwardReal.append(contentsOf: factor.real)
            forwardImaginary.append(contentsOf: factor.imaginary)
            for q in 0..<columns {
                for p in 0..<rows {
                    adjointReal.append(factor.real[p * columns + q])
                    adjointImaginary.append(-factor.imaginary[p * columns + q])
                }
            }
        }
        self.shape = shape
        self.factors = factors
        self.usesFastPaths = allowFastPaths
        self.forwardReal = forwardReal
        self.forwardImaginary = forwardImaginary
        self.adjointReal = adjointReal
        self.adjointImaginary = adjointImaginary
        self.forwardPlan = try KroneckerPlan(shape: shape, allowFastPaths: allowFastPaths)
        self.adjointPlan = try KroneckerPlan(shape: shape.adjoint, allowFastPaths: allowFastPaths)
        self.chainKernel = ComplexChainKernel(shape: shape, selection: chain)
    }

    /// Scratch floats per vector, per plane, that apply and applyAdjoint need in the workspace.
    /// Which kernel applies the operator, for reports: the C chain kernel and its instruction set, or the
    /// per-pass Swift loops.
    public var kernelDescription: String {
        guard let chainKernel else { return "per-pass Swift loops" }
        return switch chainKernel.variant {
        case .avx512: "C chain kernel, AVX-512"
        case .avx2FMA: "C chain kernel, AVX2 + FMA"
        case .portable: "C chain kernel, portable"
        }
    }

    public var scratchElementsPerVector: Int {
        max(forwardPlan.scratchElementsPerVector, adjointPlan.scratchElementsPerVector)
    }

    /// A complex workspace sized for this operator (forward and adjoint) and batches up to `maxBatchSize`.
    public func makeWorkspace(maxBatchSize: Int) throws(KroneckerOperatorError) -> KroneckerWorkspace {
        try KroneckerWorkspace(
            maxBatchSize: maxBatchSize, scratchElementsPerVector: scratchElementsPerVector, isComplex: true)
    }

    /// Computes y = K·x for each of `batchSize` batch-major complex vectors in split planes.
    ///
    /// - Parameters:
    ///   - inputReal, inputImaginary: each at least `batchSize × shape.inputLength` floats.
    ///   - outputReal, outputImaginary: each at least `batchSize × shape.outputLength` floats, overwritten;
    ///     neither may overlap either input plane. Elements past the batch are left untouched.
    ///   - batchSize: number of vectors, ≥ 0 (0 does nothing).
    ///   - workspace: a complex workspace with `batchSize × scratchElementsPerVector ≤ elementsPerPlane`.
    /// - Precondition: the sizes above hold; violations are programming errors and trap.
    public func apply(
        inputReal: UnsafeBufferPointer<Float>, inputImaginary: UnsafeBufferPointer<Float>,
        outputReal: UnsafeMutableBufferPointer<Float>, outputImaginary: UnsafeMutableBufferPointer<Float>,
        batchSize: Int = 1, workspace: KroneckerWorkspace
    ) {
        run(
            forwardPlan, forwardReal, forwardImaginary, shape, inputReal, inputImaginary, outputReal,
            outputImaginary, batchSize, workspace)
    }

    /// Computes x = Kᴴ·y = (⊗W_fᴴ)·y, the conjugate transpose, for each of `batchSize` batch-major vectors.
    ///
    /// - Parameters:
    ///   - inputReal, inputImaginary: each at least `batchSize × shape.outputLength` floats (K's output space).
    ///   - outputReal, outputImaginary: each at least `batchSize × shape.inputLength` floats (K's input
    ///     space), overwritten; must not overlap the inputs.
    ///   - batchSize: number of vectors, ≥ 0.
    ///   - workspace: a complex workspace with `batchSize × scratchElementsPerVector ≤ elementsPerPlane`.
    public func applyAdjoint(
        inputReal: UnsafeBufferPointer<Float>, inputImaginary: UnsafeBufferPointer<Float>,
        outputReal: UnsafeMutableBufferPointer<Float>, outputImaginary: UnsafeMutableBufferPointer<Float>,
        batchSize: Int = 1, workspace: KroneckerWorkspace
    ) {
        run(
            adjointPlan, adjointReal, adjointImaginary, shape.adjoint, inputReal, inputImaginary, outputReal,
            outputImaginary, batchSize, workspace)
    }

    /// Array form of ``apply(inputReal:inputImaginary:outputReal:outputImaginary:batchSize:workspace:)``;
    /// does not reallocate the outputs when they are uniquely referenced and long enough.
    public func apply(
        inputReal: [Float], inputImaginary: [Float], outputReal: inout [Float], outputImaginary: inout [Float],
        batchSize: Int = 1, workspace: KroneckerWorkspace
    ) {
        inputReal.withUnsafeBufferPointer { xr in
            inputImaginary.withUnsafeBufferPointer { xi in
                outputReal.withUnsafeMutableBufferPointer { yr in
                    outputImaginary.withUnsafeMutableBufferPointer { yi in
                        apply(
                            inputReal: xr, inputImaginary: xi, outputReal: yr, outputImaginary: yi,
                            batchSize: batchSize, workspace: workspace)
                    }
                }
            }
        }
    }

    /// Array form of ``applyAdjoint(inputReal:inputImaginary:outputReal:outputImaginary:batchSize:workspace:)``.
    public func applyAdjoint(
        inputReal: [Float], inputImaginary: [Float], outputReal: inout [Float], outputImaginary: inout [Float],
        batchSize: Int = 1, workspace: KroneckerWorkspace
    ) {
        inputReal.withUnsafeBufferPointer { xr in
            inputImaginary.withUnsafeBufferPointer { xi in
                outputReal.withUnsafeMutableBufferPointer { yr in
                    outputImaginary.withUnsafeMutableBufferPointer { yi in
                        applyAdjoint(
                            inputReal: xr, inputImaginary: xi, outputReal: yr, outputImaginary: yi,
                            batchSize: batchSize, workspace: workspace)
                    }
                }
            }
        }
    }

    /// The ping-pong driver (see ``RealKroneckerOperator``): pass 0 reads the caller's planes, the last
    /// pass writes the caller's planes, and the passes between alternate between the workspace's
    /// ping (planes 0, 1) and pong (planes 2, 3) buffers.
    private func run(
        _ plan: KroneckerPlan, _ weightsReal: [Float], _ weightsImaginary: [Float], _ shape: KroneckerShape,
        _ inputReal: UnsafeBufferPointer<Float>, _ inputImaginary: UnsafeBufferPointer<Float>,
        _ outputReal: UnsafeMutableBufferPointer<Float>, _ outputImaginary: UnsafeMutableBufferPointer<Float>,
        _ batchSize: Int, _ workspace: KroneckerWorkspace
    ) {
        let inputCount = batchSize * shape.inputLength
        let outputCount = batchSize * shape.outputLength
        precondition(batchSize >= 0, "batch size must not be negative")
        guard batchSize > 0 else { return }
        precondition(
            inputReal.count >= inputCount && inputImaginary.count >= inputCount,
            "input planes hold \(inputReal.count) and \(inputImaginary.count) floats; the batch needs \(inputCount)")
        precondition(
            outputReal.count >= outputCount && outputImaginary.count >= outputCount,
            "output planes hold \(outputReal.count) and \(outputImaginary.count) floats; the batch needs \(outputCount)")
        precondition(workspace.isComplex, "a complex operator needs a workspace made with isComplex: true")
        precondition(
            batchSize * plan.scratchElementsPerVector <= workspace.elementsPerPlane,
            "workspace too small for batch size \(batchSize)")
        let xr = inputReal.baseAddress!, xi = inputImaginary.baseAddress!
        let yr = outputReal.baseAddress!, yi = outputImaginary.baseAddress!
        // A local function rather than a loop over an array literal: the literal would allocate.
        func checkDisjoint(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
            precondition(
                UnsafePointer(y) >= x + inputCount || x >= UnsafePointer(y) + outputCount,
                "an input plane overlaps an output plane")
        }
        checkDisjoint(xr, yr)
        checkDisjoint(xr, yi)
        checkDisjoint(xi, yr)
        checkDisjoint(xi, yi)
        precondition(
            yr >= yi + outputCount || yi >= yr + outputCount, "the real and imaginary output planes overlap")

        weightsReal.withUnsafeBufferPointer { wr in
            weightsImaginary.withUnsafeBufferPointer { wi in
                let weights = SplitComplexSource(real: wr.baseAddress!, imaginary: wi.baseAddress!)
                if let chainKernel {
                    chainKernel.apply(
                        weights: weights, batchSize: batchSize, source: SplitComplexSource(real: xr, imaginary: xi),
                        destination: SplitComplexDestination(real: yr, imaginary: yi))
                    return
                }
                let ping = SplitComplexDestination(real: workspace.plane(0), imaginary: workspace.plane(1))
                let pong = SplitComplexDestination(real: workspace.plane(2), imaginary: workspace.plane(3))
                let output = SplitComplexDestination(real: yr, imaginary: yi)
                var source = SplitComplexSource(real: xr, imaginary: xi)
                let last = plan.passes.count - 1
                for (k, pass) in plan.passes.enumerated() {
                    let destination = k == last ? output : (k % 2 == 0 ? ping : pong)
                    ComplexModeKernels.run(
                        pass, batchSize: batchSize, weights: weights, source: source, destination: destination)
                    source = SplitComplexSource(
                        real: UnsafePointer(destination.real), imaginary: UnsafePointer(destination.imaginary))
                }
            }
        }
    }
}
