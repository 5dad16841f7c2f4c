import CInferenceKernels

/// The gate blocks of a real cell's Kronecker recurrence — for each gate g, R_g = Σ_t W_{g,t,0} ⊗ … ⊗ W_{g,t,F−1} —
/// packed once at load time for the C kernel that applies all gates and terms in one call: every term's factors
/// and transposes in two shared planes and every pass with its offset into them. A step then costs one call
/// instead of G·r operator applications, each with its own bookkeeping.
final class KroneckerGates: @unchecked Sendable {
    /// The operators as loaded, gate-major (for parameter counts and fingerprints).
    let operators: [[RealKroneckerOperator]]
    let termCount: Int
    let passCount: Int
    /// The largest intermediate vector of any term, per vector.
    let scratchElementsPerVector: Int
    private let passes: UnsafeMutablePointer<kru_mode_pass>
    private let weights: FloatStorage
    private let transposed: FloatStorage

    /// Packs `operators` (gate-major; every gate has the same number of terms and every term the same number of
    /// factors, which the schema guarantees).
    init(_ operators: [[RealKroneckerOperator]]) {
        self.operators = operators
        let terms = operators.joined()
        termCount = operators[0].count
        passCount = terms.first!.forwardPlan.passes.count
        scratchElementsPerVector = terms.map(\.forwardPlan.scratchElementsPerVector).max() ?? 0
        let total = terms.reduce(0) { $0 + $1.forwardWeights.count }
        weights = FloatStorage(count: total)
        transposed = FloatStorage(count: total)
        passes = .allocate(capacity: terms.count * passCount)
        var offset = 0, index = 0
        for op in terms {
            (weights.pointer + offset).update(from: op.forwardWeights, count: op.forwardWeights.count)
            (transposed.pointer + offset).update(from: op.adjointWeights, count: op.adjointWeights.count)
            for pass in op.forwardPlan.cPasses {
                var shifted = pass
                shifted.weightOffset += Int64(offset)
                (passes + index).initialize(to: shifted)
                index += 1
            }
            offset += op.forwardWeights.count
        }
    }

    deinit { passes.deallocate() }

    /// For each of `batch` states h_b (contiguous N-vectors), adds R_g·h_b to gate g's N values at
    /// `gates + b·stride + g·N`.
    func multiplyAdd(
        _ h: UnsafePointer<Float>, hiddenSize n: Int, batch: Int, into gates: UnsafeMutablePointer<Float>,
        stride: Int, workspace: KroneckerWorkspace, variant: KernelVariant
    ) {
        kru_real_kronecker_sum(variant.rawValue, Int32(operators.count), Int32(termCount), Int32(passCount), passes,
                               weights.pointer, transposed.pointer, n, batch, h, gates, stride, workspace.plane(0),
                               workspace.plane(1))
    }
}
