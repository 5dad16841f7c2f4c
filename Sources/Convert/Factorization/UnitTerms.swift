import KRUInference

extension NearestKronecker {
    /// A sum of r rank-one tensors Σ_k scales[k] · vectors[k][0] ∘ … ∘ vectors[k][F−1] in the rearranged space,
    /// each vector of unit norm. vectors[k][f] is vec_r of factor f of term k (length P_fQ_f).
    ///
    /// Why unit vectors plus one scale per term: the alternating updates and the Gram matrices between terms stay
    /// well scaled whatever the size of A, and the canonical output form (balanced norms) is applied once at the end.
    struct UnitTerms<S: Scalar> {
        var scales: [Double]
        var vectors: [[[S]]]

        var count: Int { scales.count }

        static func empty() -> UnitTerms { UnitTerms(scales: [], vectors: []) }

        mutating func append(scale: Double, vectors termVectors: [[S]]) {
            scales.append(scale)
            vectors.append(termVectors)
        }

        /// Seeded random unit directions for every term and mode, scales 1 (the first update replaces them).
        static func random(rank: Int, modes: [Int], using random: inout KRURandom) -> UnitTerms {
            var terms = UnitTerms.empty()
            for _ in 0..<rank {
                terms.append(scale: 1, vectors: modes.map { randomUnitVector(count: $0, using: &random) })
            }
            return terms
        }
    }

    /// The Kronecker (outer) product of vectors, first vector most significant: the numpy.kron of the vectors,
    /// written into `buffer`, optionally conjugating every vector. Returns the length used.
    /// Built in place from the back so no temporary is needed.
    @discardableResult
    static func kroneckerVector<S: Scalar>(
        _ vectors: ArraySlice<[S]>, conjugated: Bool, into buffer: UnsafeMutableBufferPointer<S>
    ) -> Int {
        buffer[0] = S(real: 1)
        var length = 1
        for v in vectors {
            let n = v.count
            var a = length - 1
            while a >= 0 {
                let value = buffer[a]
                for b in 0..<n { buffer[a * n + b] = value * (conjugated ? v[b].conjugate : v[b]) }
                a -= 1
            }
            length *= n
        }
        return length
    }

    static func kroneckerVector<S: Scalar>(_ vectors: ArraySlice<[S]>, scale: Double = 1) -> [S] {
        let length = vectors.reduce(1) { $0 * $1.count }
        var result = [S](repeating: .zero, count: length)
        result.withUnsafeMutableBufferPointer { _ = kroneckerVector(vectors, conjugated: false, into: $0) }
        if scale != 1 { for i in result.indices { result[i] = result[i].scaled(by: scale) } }
        return result
    }
}
