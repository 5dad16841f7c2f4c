import CInferenceKernels

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
/// ``RealKroneckerOperator``), one mode product per factor in the engine's SIMD C kernels, each output summing
/// its terms in ascending order without fused multiply-adds (docs/ENGINE.md). When every factor is 2 × 2 (a
/// KRU's recurrent matrix) and the CPU has AVX2 or AVX-512 (or on arm64), a chain kernel applies the whole product
/// in registers instead, with fused multiply-adds (see `ComplexChainKernel`).
///
/// The operator is immutable and `Sendable`; scratch lives in a complex ``KroneckerWorkspace`` owned by
/// the caller, so applying it never allocates.
public struct ComplexKroneckerOperator: Sendable {
    /// Factor sizes, input and output lengths.
    public let shape: KroneckerShape
    /// The factors as given, in factor order (factor 0 = most significant digit).
    public let factors: [ComplexKroneckerFactor]
    /// The chain kernel for all-2 × 2 operators, or nil when the per-pass mode products run.
    let chainKernel: ComplexChainKernel?

    /// All W_f, row-major, concatenated in factor order (real and imaginary planes).
    let forwardReal: [Float]
    let forwardImaginary: [Float]
    /// All W_fᴴ (conjugate transposes, Q_f × P_f), row-major, concatenated in factor order.
    let adjointReal: [Float]
    let adjointImaginary: [Float]
    /// All W_fᵀ (plain transposes), for forward passes over the last mode, whose lanes run over the rows of W_fᵀ.
    let transposedReal: [Float]
    let transposedImaginary: [Float]
    /// All conj(W_f): the transposes of the adjoint's factors, for its passes over the last mode.
    let conjugateImaginary: [Float]
    let forwardPlan: KroneckerPlan
    let adjointPlan: KroneckerPlan

    /// Builds the operator W_0 ⊗ … ⊗ W_{F−1} from its factors, factor 0 first.
    ///
    /// - Parameter factors: W_0 … W_{F−1}; each factor's `real` and `imaginary` must both hold
    ///   `rows × columns` values.
    /// - Throws: ``KroneckerOperatorError`` if there are no factors, a size is below 1, a plane's value
    ///   count does not match its shape, or a vector length exceeds ``KroneckerLimits``.
    public init(factors: [ComplexKroneckerFactor]) throws(KroneckerOperatorError) {
        try self.init(factors: factors, chain: .automatic)
    }

    /// As the public initialiser, with the chain kernel chosen by `chain` (tests force each variant, or none).
    init(factors: [ComplexKroneckerFactor], chain: ComplexChainKernel.Selection) throws(KroneckerOperatorError) {
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
        self.forwardReal = forwardReal
        self.forwardImaginary = forwardImaginary
        self.adjointReal = adjointReal
        self.adjointImaginary = adjointImaginary
        self.transposedReal = adjointReal
        self.transposedImaginary = adjointImaginary.map { -$0 }
        self.conjugateImaginary = forwardImaginary.map { -$0 }
        self.forwardPlan = try KroneckerPlan(shape: shape)
        self.adjointPlan = try KroneckerPlan(shape: shape.adjoint)
        self.chainKernel = ComplexChainKernel(shape: shape, selection: chain)
    }

    /// Which kernel applies the operator, for reports: the chain kernel or the per-pass mode products, and the
    /// instruction set.
    public var kernelDescription: String {
        guard let chainKernel else { return "per-pass mode products, \(KernelVariant.widest.name)" }
        return "chain kernel, \(chainKernel.variant.name)"
    }

    /// Scratch floats per vector, per plane, that apply and applyAdjoint need in the workspace.
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
    ///   - inputReal: at least `batchSize × shape.inputLength` floats.
    ///   - inputImaginary: the same for the imaginary plane.
    ///   - outputReal: at least `batchSize × shape.outputLength` floats, overwritten; it may not overlap either
    ///     input plane. Elements past the batch are left untouched.
    ///   - outputImaginary: the same for the imaginary plane.
    ///   - batchSize: number of vectors, ≥ 0 (0 does nothing).
    ///   - workspace: a complex workspace with `batchSize × scratchElementsPerVector ≤ elementsPerPlane`.
    /// - Precondition: the sizes above hold; violations are programming errors and trap.
    public func apply(
        inputReal: UnsafeBufferPointer<Float>, inputImaginary: UnsafeBufferPointer<Float>,
        outputReal: UnsafeMutableBufferPointer<Float>, outputImaginary: UnsafeMutableBufferPointer<Float>,
        batchSize: Int = 1, workspace: KroneckerWorkspace
    ) {
        run(
            forwardPlan, (forwardReal, forwardImaginary), (transposedReal, transposedImaginary), shape, inputReal,
            inputImaginary, outputReal, outputImaginary, batchSize, workspace, chain: chainKernel)
    }

    /// Computes x = Kᴴ·y = (⊗W_fᴴ)·y, the conjugate transpose, for each of `batchSize` batch-major vectors.
    ///
    /// - Parameters:
    ///   - inputReal: at least `batchSize × shape.outputLength` floats (K's output space).
    ///   - inputImaginary: the same for the imaginary plane.
    ///   - outputReal: at least `batchSize × shape.inputLength` floats (K's input space), overwritten; must not
    ///     overlap the inputs.
    ///   - outputImaginary: the same for the imaginary plane.
    ///   - batchSize: number of vectors, ≥ 0.
    ///   - workspace: a complex workspace with `batchSize × scratchElementsPerVector ≤ elementsPerPlane`.
    public func applyAdjoint(
        inputReal: UnsafeBufferPointer<Float>, inputImaginary: UnsafeBufferPointer<Float>,
        outputReal: UnsafeMutableBufferPointer<Float>, outputImaginary: UnsafeMutableBufferPointer<Float>,
        batchSize: Int = 1, workspace: KroneckerWorkspace
    ) {
        run(
            adjointPlan, (adjointReal, adjointImaginary), (forwardReal, conjugateImaginary), shape.adjoint,
            inputReal, inputImaginary, outputReal, outputImaginary, batchSize, workspace, chain: nil)
    }

    /// Array form of `apply`;
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

    /// Array form of `applyAdjoint`.
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

    /// Checks the sizes, then runs the chain kernel or the per-pass mode products.
    private func run(
        _ plan: KroneckerPlan, _ weights: ([Float], [Float]), _ transposed: ([Float], [Float]),
        _ shape: KroneckerShape, _ inputReal: UnsafeBufferPointer<Float>, _ inputImaginary: UnsafeBufferPointer<Float>,
        _ outputReal: UnsafeMutableBufferPointer<Float>, _ outputImaginary: UnsafeMutableBufferPointer<Float>,
        _ batchSize: Int, _ workspace: KroneckerWorkspace, chain: ComplexChainKernel?
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
            "output planes hold \(outputReal.count) and \(outputImaginary.count) floats; "
                + "the batch needs \(outputCount)")
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
        multiply(plan, weights, transposed, SplitComplexSource(real: xr, imaginary: xi), batchSize: batchSize,
                 into: SplitComplexDestination(real: yr, imaginary: yi), stride: shape.outputLength,
                 accumulate: false, workspace: workspace, chain: chain, variant: .widest)
    }

    /// The unchecked core: y_b = K·x_b, or y_b += K·x_b when `accumulate`, for `batchSize` contiguous input
    /// vectors, output vector b at offset b·stride of each plane. The chain kernel writes a whole product, so
    /// when it accumulates, it writes into the workspace's pong planes first.
    func multiply(
        _ plan: KroneckerPlan, _ weights: ([Float], [Float]), _ transposed: ([Float], [Float]),
        _ x: SplitComplexSource, batchSize: Int, into y: SplitComplexDestination, stride: Int, accumulate: Bool,
        workspace: KroneckerWorkspace, chain: ComplexChainKernel?, variant: KernelVariant
    ) {
        // Read before the closures, which would otherwise capture (and copy) self, retaining all its arrays.
        let outputLength = shape.outputLength
        weights.0.withUnsafeBufferPointer { wr in
            weights.1.withUnsafeBufferPointer { wi in
                if let chain {
                    // The chain kernel runs forward only (the adjoint passes no chain), so K's output length applies.
                    let direct = !accumulate && stride == outputLength
                    let target = direct ? y : SplitComplexDestination(real: workspace.plane(2),
                                                                      imaginary: workspace.plane(3))
                    chain.apply(weights: SplitComplexSource(real: wr.baseAddress!, imaginary: wi.baseAddress!),
                                batchSize: batchSize, source: x, destination: target)
                    if !direct { Self.merge(target, batchSize: batchSize, length: outputLength, into: y,
                                            stride: stride, accumulate: accumulate, variant: variant) }
                    return
                }
                plan.cPasses.withUnsafeBufferPointer { passes in
                    transposed.0.withUnsafeBufferPointer { tr in
                        transposed.1.withUnsafeBufferPointer { ti in
                            // A tuple, not an array literal: the literal would allocate.
                            var scratch = (workspace.plane(0), workspace.plane(1), workspace.plane(2),
                                           workspace.plane(3))
                            withUnsafePointer(to: &scratch) { planes in
                                planes.withMemoryRebound(to: UnsafeMutablePointer<Float>?.self, capacity: 4) {
                                    kru_complex_mode_chain(
                                        variant.rawValue, Int32(passes.count), passes.baseAddress, wr.baseAddress,
                                        wi.baseAddress, tr.baseAddress, ti.baseAddress, batchSize, x.real,
                                        x.imaginary, y.real, y.imaginary, stride, accumulate ? 1 : 0, $0)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Copies or adds `batchSize` contiguous vectors of `length` into y at a stride.
    private static func merge(
        _ source: SplitComplexDestination, batchSize: Int, length: Int, into y: SplitComplexDestination,
        stride: Int, accumulate: Bool, variant: KernelVariant
    ) {
        for b in 0..<batchSize {
            let (sr, si) = (source.real + b * length, source.imaginary + b * length)
            let (dr, di) = (y.real + b * stride, y.imaginary + b * stride)
            if accumulate {
                kru_add(variant.rawValue, length, dr, sr)
                kru_add(variant.rawValue, length, di, si)
            } else {
                dr.update(from: sr, count: length)
                di.update(from: si, count: length)
            }
        }
    }

    /// y_b = K·x_b, or y_b += K·x_b when `accumulate`, for `batchSize` contiguous vectors in split planes, output
    /// vector b at offset b·stride (a cell's pre-activation).
    func multiply(
        _ x: SplitComplexSource, batchSize: Int, into y: SplitComplexDestination, stride: Int, accumulate: Bool,
        workspace: KroneckerWorkspace, variant: KernelVariant
    ) {
        multiply(forwardPlan, (forwardReal, forwardImaginary), (transposedReal, transposedImaginary), x,
                 batchSize: batchSize, into: y, stride: stride, accumulate: accumulate, workspace: workspace,
                 chain: chainKernel, variant: variant)
    }
}
