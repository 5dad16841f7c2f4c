extension NearestKronecker {
    /// ‖T − Σ_k λ_k ∘_f u_f^(k)‖_F computed entry by entry, which equals ‖A − Σ_k ⊗_f W_f^(k)‖_F because the
    /// rearrangement is an isometry.
    ///
    /// Why directly and not as √(‖T‖² − captured): the subtraction loses everything below √ε·‖T‖ to cancellation,
    /// and exact recovery must show errors near 1e-15. Cost r·N² multiply-adds, memory O(r·N): each term is split
    /// into a head (modes before `split`) and a tail (the rest), so only their short Kronecker vectors are formed.
    static func residualNorm<S: Scalar>(
        _ t: UnsafeBufferPointer<S>, modes: [Int], terms: UnitTerms<S>
    ) -> Double {
        residualRows(t, modes: modes, terms: terms, writingTo: nil).squareRoot()
    }

    /// E ← E − Σ_k λ_k ∘_f u_f^(k), in place (greedy deflation). Returns ‖E‖² after the subtraction.
    @discardableResult
    static func subtract<S: Scalar>(
        _ terms: UnitTerms<S>, from e: inout [S], modes: [Int]
    ) -> Double {
        e.withUnsafeMutableBufferPointer { buffer in
            residualRows(UnsafeBufferPointer(buffer), modes: modes, terms: terms, writingTo: buffer.baseAddress)
        }
    }

    /// Walks T one head index at a time: row ← T[a, :] − Σ_k head_k[a]·tail_k, accumulates ‖row‖² and, when
    /// `target` is given (it may be T's own memory), stores the row there.
    private static func residualRows<S: Scalar>(
        _ t: UnsafeBufferPointer<S>, modes: [Int], terms: UnitTerms<S>, writingTo target: UnsafeMutablePointer<S>?
    ) -> Double {
        let total = t.count
        // Split where the head first reaches √total, so head and tail vectors are both about √total long.
        var split = 1
        var headLength = modes[0]
        while split < modes.count - 1, headLength * headLength < total {
            headLength *= modes[split]
            split += 1
        }
        let tailLength = total / headLength
        let heads = terms.vectors.indices.map { kroneckerVector(terms.vectors[$0][..<split], scale: terms.scales[$0]) }
        let tails = terms.vectors.map { kroneckerVector($0[split...]) }

        var sum = 0.0
        var row = [S](repeating: .zero, count: tailLength)
        row.withUnsafeMutableBufferPointer { row in
            for a in 0..<headLength {
                let base = a * tailLength
                for b in 0..<tailLength { row[b] = t[base + b] }
                for k in heads.indices {
                    let c = heads[k][a]
                    tails[k].withUnsafeBufferPointer { tail in
                        for b in 0..<tailLength { row[b] = row[b] - c * tail[b] }
                    }
                }
                for b in 0..<tailLength { sum += row[b].squaredMagnitude }
                if let target {
                    for b in 0..<tailLength { target[base + b] = row[b] }
                }
            }
        }
        return sum
    }
}
