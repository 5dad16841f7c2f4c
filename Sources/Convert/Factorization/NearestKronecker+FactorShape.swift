import KRUInference

extension NearestKronecker {
    /// The size P_f × Q_f of one Kronecker factor (the engine's shape type).
    public typealias FactorShape = KroneckerFactorShape
}
