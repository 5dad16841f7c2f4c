import CInferenceKernels

/// A real Kronecker operator K = W_0 ⊗ W_1 ⊗ … ⊗ W_{F−1} applied without ever forming K.
///
/// **Shapes.** Factor W_f is P_f × Q_f (any sizes ≥ 1, rectangular and 1 × 1 allowed, F ≥ 1). K maps an
/// input vector of length ∏Q_f (``KroneckerShape/inputLength``) to an output of length ∏P_f
/// (``KroneckerShape/outputLength``); the adjoint Kᵀ maps the other way.
///
/// **Index convention** (identical to `numpy.kron`): row-major, 0-based, factor 0 is the most significant
/// mixed-radix digit of both the row index i (over the P_f) and the column index j (over the Q_f), and
/// K[i, j] = ∏_f W_f[p_f, q_f].
///
/// **Batch layout.** A batch of B vectors is batch-major: vector k occupies elements
/// `k·length ..< (k+1)·length` of the buffer (B contiguous vectors, i.e. a row-major B × length matrix).
///
/// **Cost.** One mode product per factor, ping-ponging between two workspace buffers, in the engine's SIMD C
/// kernels. The pass for factor f costs Q_f multiply-adds per element it produces, so an N × N operator of
/// square factors costs N·Σ_f P_f per vector instead of N² for the dense matrix; rectangular factors are applied
/// shrinking-first, the cheapest order. Each output sums its Q_f terms in ascending order without fused
/// multiply-adds (docs/ENGINE.md), so results do not depend on the CPU or the batch size.
///
/// The operator is immutable and `Sendable`; scratch lives in a ``KroneckerWorkspace`` owned by the
/// caller, so applying it never allocates.
public struct RealKroneckerOperator: Sendable {
    /// Factor sizes, input and output lengths.
    public let shape: KroneckerShape
    /// The factors as given, in factor order (factor 0 = most significant digit).
    public let factors: [RealKroneckerFactor]

    /// All W_f row-major, concatenated in factor order; passes index it by their weight offset.
    let forwardWeights: [Float]
    /// All W_fᵀ row-major (Q_f × P_f), concatenated in factor order: the adjoint runs the same kernels, and a
    /// forward pass over the last mode runs its lanes over the rows of W_fᵀ.
    let adjointWeights: [Float]
    let forwardPlan: KroneckerPlan
    let adjointPlan: KroneckerPlan

    /// Builds the operator W_0 ⊗ … ⊗ W_{F−1} from its factors, factor 0 first.
    ///
    /// - Parameter factors: W_0 … W_{F−1}; each `values.count` must equal `rows × columns`.
    /// - Throws: ``KroneckerOperatorError`` if there are no factors, a size is below 1, a value count does
    ///   not match its shape, or a vector length exceeds ``KroneckerLimits``.
    public init(factors: [RealKroneckerFactor]) throws(KroneckerOperatorError) {
        let shape = try KroneckerShape(rows: factors.map(\.rows), columns: factors.map(\.columns))
        var forward: [Float] = []
        var adjoint: [Float] = []
        for (f, factor) in factors.enumerated() {
            let (rows, columns) = (factor.rows, factor.columns)
            guard factor.values.count == rows * columns else {
                throw .factorValueCount(
                    factor: f, plane: "values", expected: rows * columns, actual: factor.values.count)
            }
            forward.append(contentsOf: factor.values)
            for q in 0..<columns {
                for p in 0..<rows { adjoint.append(factor.values[p * columns + q]) }
            }
        }
        self.shape = shape
        self.factors = factors
        self.forwardWeights = forward
        self.adjointWeights = adjoint
        self.forwardPlan = try KroneckerPlan(shape: shape)
        self.adjointPlan = try KroneckerPlan(shape: shape.adjoint)
    }

    /// Scratch floats per vector that `apply` and `applyAdjoint` need in each workspace plane.
    public var scratchElementsPerVector: Int {
        max(forwardPlan.scratchElementsPerVector, adjointPlan.scratchElementsPerVector)
    }

    /// A workspace sized for this operator (forward and adjoint) and batches of up to `maxBatchSize`.
    public func makeWorkspace(maxBatchSize: Int) throws(KroneckerOperatorError) -> KroneckerWorkspace {
        try KroneckerWorkspace(
            maxBatchSize: maxBatchSize, scratchElementsPerVector: scratchElementsPerVector, isComplex: false)
    }

    /// Computes y = K·x for each of `batchSize` batch-major vectors.
    ///
    /// - Parameters:
    ///   - input: at least `batchSize × shape.inputLength` floats; vector k starts at k·inputLength.
    ///   - output: at least `batchSize × shape.outputLength` floats, overwritten; vector k starts at
    ///     k·outputLength. Must not overlap `input`. Elements past the batch are left untouched.
    ///   - batchSize: number of vectors, ≥ 0 (0 does nothing).
    ///   - workspace: scratch with `batchSize × scratchElementsPerVector ≤ elementsPerPlane`.
    /// - Precondition: the sizes above hold; violations are programming errors and trap.
    public func apply(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
        batchSize: Int = 1, workspace: KroneckerWorkspace
    ) {
        run(forwardPlan, forwardWeights, adjointWeights, shape, input, output, batchSize, workspace)
    }

    /// Computes x = Kᵀ·y = (⊗W_fᵀ)·y for each of `batchSize` batch-major vectors (the adjoint; for a real
    /// operator the conjugate transpose is the transpose).
    ///
    /// - Parameters:
    ///   - input: at least `batchSize × shape.outputLength` floats (K's output space).
    ///   - output: at least `batchSize × shape.inputLength` floats (K's input space), overwritten; must
    ///     not overlap `input`.
    ///   - batchSize: number of vectors, ≥ 0.
    ///   - workspace: scratch with `batchSize × scratchElementsPerVector ≤ elementsPerPlane`.
    public func applyAdjoint(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
        batchSize: Int = 1, workspace: KroneckerWorkspace
    ) {
        run(adjointPlan, adjointWeights, forwardWeights, shape.adjoint, input, output, batchSize, workspace)
    }

    /// Array form of `apply`; does not reallocate `output` when it is uniquely referenced and long enough.
    public func apply(_ input: [Float], into output: inout [Float], batchSize: Int = 1, workspace: KroneckerWorkspace) {
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in apply(x, into: y, batchSize: batchSize, workspace: workspace) }
        }
    }

    /// Array form of `applyAdjoint`.
    public func applyAdjoint(
        _ input: [Float], into output: inout [Float], batchSize: Int = 1, workspace: KroneckerWorkspace
    ) {
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                applyAdjoint(x, into: y, batchSize: batchSize, workspace: workspace)
            }
        }
    }

    /// Checks the sizes, then runs the passes in C: pass 0 reads the caller's input, the last writes the caller's
    /// output, and the others alternate between two workspace planes.
    private func run(
        _ plan: KroneckerPlan, _ weights: [Float], _ transposed: [Float], _ shape: KroneckerShape,
        _ input: UnsafeBufferPointer<Float>, _ output: UnsafeMutableBufferPointer<Float>,
        _ batchSize: Int, _ workspace: KroneckerWorkspace
    ) {
        let inputCount = batchSize * shape.inputLength
        let outputCount = batchSize * shape.outputLength
        precondition(batchSize >= 0, "batch size must not be negative")
        guard batchSize > 0 else { return }
        precondition(input.count >= inputCount, "input holds \(input.count) floats; the batch needs \(inputCount)")
        precondition(output.count >= outputCount, "output holds \(output.count) floats; the batch needs \(outputCount)")
        precondition(
            batchSize * plan.scratchElementsPerVector <= workspace.elementsPerPlane,
            "workspace too small for batch size \(batchSize)")
        let x = input.baseAddress!, y = output.baseAddress!
        precondition(
            UnsafePointer(y) >= x + inputCount || x >= UnsafePointer(y) + outputCount,
            "input and output buffers overlap")
        multiply(plan, weights, transposed, x, batchSize: batchSize, into: y, stride: shape.outputLength,
                 accumulate: false, workspace: workspace, variant: .widest)
    }

    /// The unchecked core: y_b = K·x_b, or y_b += K·x_b when `accumulate`, for `batchSize`
    /// contiguous input vectors, output vector b at `y + b·stride`.
    func multiply(
        _ plan: KroneckerPlan, _ weights: [Float], _ transposed: [Float], _ x: UnsafePointer<Float>,
        batchSize: Int, into y: UnsafeMutablePointer<Float>, stride: Int, accumulate: Bool,
        workspace: KroneckerWorkspace, variant: KernelVariant
    ) {
        plan.cPasses.withUnsafeBufferPointer { passes in
            weights.withUnsafeBufferPointer { w in
                transposed.withUnsafeBufferPointer { wt in
                    kru_real_mode_chain(
                        variant.rawValue, Int32(passes.count), passes.baseAddress, w.baseAddress, wt.baseAddress,
                        batchSize, x, y, stride, accumulate ? 1 : 0, workspace.plane(0), workspace.plane(1))
                }
            }
        }
    }
}
