extension NearestKronecker {
    /// max over split points k = 1 … F−1 of the optimal two-factor error √(‖T‖² − σ_1(R_k)²), where R_k is T
    /// viewed as (∏_{f<k} P_fQ_f) × (∏_{f≥k} P_fQ_f) — the rearrangement for super-factors ⊗_{f<k} and ⊗_{f≥k}.
    /// Every F-factor product is also such a two-factor product, so no F-factor fit can beat this bound
    /// (docs/KRONECKER.md §4). Because T's modes are already in factor order, each R_k is a reshape.
    static func splitLowerBound<S: Scalar>(
        _ t: UnsafeBufferPointer<S>, modes: [Int], options: Options, reporter: ProgressReporter
    ) throws(KroneckerFactorizationError) -> Double {
        let prefix = prefixProducts(modes)
        let normSquared = squaredNorm(t)
        var bound = 0.0
        for k in 1..<modes.count {
            let triple = try topSingularTriples(
                of: t, rows: prefix[k], columns: t.count / prefix[k], count: 1, options: options,
                seed: options.seed &+ UInt64(k))
            bound = max(bound, max(0, normSquared - triple.values[0] * triple.values[0]).squareRoot())
            reporter.update(Double(k) / Double(modes.count - 1))
        }
        return bound
    }
}
