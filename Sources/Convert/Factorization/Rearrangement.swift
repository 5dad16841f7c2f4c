extension NearestKronecker {
    /// The F-way rearrangement T = R_F(A) (docs/KRONECKER.md §4), as a flat row-major tensor of shape
    /// (P_0Q_0, P_1Q_1, …, P_{F−1}Q_{F−1}):
    ///
    ///     T[k_0, …, k_{F−1}] = A[i, j],   k_f = p_f·Q_f + q_f
    ///
    /// with (p_f) the digits of i over (P_f) and (q_f) the digits of j over (Q_f), factor 0 most significant.
    /// Why this form: R_F is a permutation of entries, hence an isometry, and it maps W_0 ⊗ … ⊗ W_{F−1} to the
    /// outer product vec_r(W_0) ∘ … ∘ vec_r(W_{F−1}). Every algorithm then works on T alone: for F = 2, T viewed as
    /// a (P_0Q_0) × (P_1Q_1) matrix is Van Loan's R(A); grouping modes 0…k−1 against k…F−1 gives the two-factor
    /// rearrangement for any split point, and mode-f contractions give the alternating updates.
    ///
    /// The offset of A[i, j] in T separates into rowOffset(i) + columnOffset(j), so one pass with two small tables
    /// does the permutation. Every entry is multiplied by `scale` on the way.
    static func rearranged<S: Scalar>(
        _ a: UnsafeBufferPointer<S>, rows: Int, columns: Int, shapes: [FactorShape], scale: Double
    ) -> [S] {
        let modes = shapes.map(\.entryCount)
        // stride[f] = ∏_{g>f} P_gQ_g, the step of mode f in T.
        var stride = [Int](repeating: 1, count: modes.count)
        for f in stride.indices.reversed().dropFirst() { stride[f] = stride[f + 1] * modes[f + 1] }

        func offsets(count: Int, radix: (Int) -> Int, weight: (Int) -> Int) -> [Int] {
            (0..<count).map { index in
                var rest = index
                var offset = 0
                for f in shapes.indices.reversed() {
                    offset += (rest % radix(f)) * weight(f)
                    rest /= radix(f)
                }
                return offset
            }
        }
        let rowOffset = offsets(count: rows, radix: { shapes[$0].rows }, weight: { shapes[$0].columns * stride[$0] })
        let columnOffset = offsets(count: columns, radix: { shapes[$0].columns }, weight: { stride[$0] })

        return [S](unsafeUninitializedCapacity: rows * columns) { t, initialized in
            for i in 0..<rows {
                let base = rowOffset[i]
                let source = i * columns
                for j in 0..<columns {
                    (t.baseAddress! + base + columnOffset[j]).initialize(to: a[source + j].scaled(by: scale))
                }
            }
            initialized = rows * columns
        }
    }

    /// ∏_{g<f} n_g for f = 0 … F: the size of the leading modes 0…f−1 of a tensor with mode lengths `modes`.
    static func prefixProducts(_ modes: [Int]) -> [Int] {
        var products = [1]
        for n in modes { products.append(products.last! * n) }
        return products
    }
}
