import KRUInference

extension NearestKronecker {
    /// How ``autoShapes(size:rule:)`` splits a square N × N matrix into square factors: the rules of the shared
    /// `--factors` grammar (``FactorSpecification/AutomaticFactors`` in KRUInference).
    public typealias AutoShapeRule = FactorSpecification.AutomaticFactors

    /// Proposes square factor shapes for an N × N matrix.
    ///
    /// - Throws: ``KroneckerFactorizationError/invalidAutoShape(size:reason:)`` when N < 1 or the rule does not
    ///   apply to N.
    public static func autoShapes(
        size n: Int, rule: AutoShapeRule
    ) throws(KroneckerFactorizationError) -> [FactorShape] {
        do {
            return try rule.shapes(for: n)
        } catch {
            throw .invalidAutoShape(size: n, reason: error.description)
        }
    }
}
