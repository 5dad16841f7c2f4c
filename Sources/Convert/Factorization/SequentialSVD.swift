extension NearestKronecker {
    /// Sequential SVD splitting (docs/KRONECKER.md §5; rank-one TT-SVD): peel factor 0 off with the top
    /// singular triple of T viewed as (P_0Q_0) × (rest), keep σ·(row 0 of Vᴴ) as the remainder, recurse; the last
    /// remainder is the last factor and its norm is λ.
    ///
    /// Why as the start: it is the F = 2 optimum applied repeatedly, quasi-optimal (error ≤ √(F−1) × best,
    /// Oseledets 2011), deterministic, and cheap — each step is a skinny matrix, usually solved through its small
    /// Gram matrix. Its last factor is the least-squares optimum for the others, so the captured energy is λ².
    static func sequentialSVD<S: Scalar>(
        _ t: UnsafeBufferPointer<S>, modes: [Int], options: Options, progress: (Double) -> Void
    ) throws(KroneckerFactorizationError) -> (vectors: [[S]], scale: Double) {
        var remainder = Array(t)
        var vectors: [[S]] = []
        for f in 0..<(modes.count - 1) {
            let rows = modes[f]
            let columns = remainder.count / rows
            let triple = try remainder.withUnsafeBufferPointer { r throws(KroneckerFactorizationError) in
                try topSingularTriples(
                    of: r, rows: rows, columns: columns, count: 1, options: options,
                    seed: options.seed &+ UInt64(f))
            }
            vectors.append(triple.left[0])
            let sigma = triple.values[0]
            remainder = triple.rightAdjoint[0].map { $0.scaled(by: sigma) }
            progress(Double(f + 1) / Double(modes.count - 1))
        }
        let (last, lambda) = normalized(remainder)
        vectors.append(last)
        return (vectors, lambda)
    }
}
