import Foundation

extension NearestKronecker {
    /// Turns unit terms into the documented output form (see ``KroneckerFactorization``): terms sorted by
    /// decreasing scale; in each term, factors 1 … F−1 phase-fixed (first entry within a relative 1e-9 of the
    /// largest modulus made real positive) with factor 0 absorbing the product of the removed phases; then every
    /// factor scaled to norm λ^(1/F). Why balanced norms: the factors of a large F could under/overflow in Float at
    /// inference if one of them carried all of λ (docs/KRONECKER.md §3). `rescale` undoes the input
    /// normalisation of the entry point (λ is multiplied by it).
    static func canonicalTerms<S: Scalar>(
        _ terms: UnitTerms<S>, shapes: [FactorShape], rescale: Double
    ) -> [KroneckerFactorization<S>.Term] {
        let order = shapes.count
        let ranked = terms.scales.indices.sorted { terms.scales[$0] > terms.scales[$1] }
        return ranked.map { k in
            let scale = terms.scales[k] * rescale
            var vectors = terms.vectors[k]
            var absorbed = S(real: 1)
            for f in 1..<max(order, 1) {
                let phase = referencePhase(vectors[f])
                vectors[f] = vectors[f].map { $0 * phase.conjugate }
                absorbed = absorbed * phase
            }
            vectors[0] = vectors[0].map { $0 * absorbed }
            let perFactor = scale > 0 ? pow(scale, 1 / Double(order)) : 0
            let factors = shapes.indices.map { f in
                Matrix<S>(
                    rows: shapes[f].rows, columns: shapes[f].columns,
                    elements: vectors[f].map { $0.scaled(by: perFactor) })
            }
            return KroneckerFactorization<S>.Term(factors: factors, scale: scale)
        }
    }

    /// The phase of the first entry (row-major) whose modulus is within a relative 1e-9 of the largest; 1 for a
    /// zero vector. The tolerance makes the choice independent of rounding when entries tie exactly.
    static func referencePhase<S: Scalar>(_ v: [S]) -> S {
        let largest = v.reduce(0) { max($0, $1.squaredMagnitude) }
        guard largest > 0 else { return S(real: 1) }
        let threshold = largest * (1 - 1e-9) * (1 - 1e-9)
        return v.first { $0.squaredMagnitude >= threshold }!.phase
    }
}
