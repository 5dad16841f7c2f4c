import KRUInference

/// The mode geometry of a Kronecker chain W_0 ⊗ … ⊗ W_{F−1} applied factor by factor (docs/KRONECKER.md §8): before
/// factor k the vector is a tensor [∏_{g<k} P_g][Q_k][∏_{g>k} Q_g] — `outer[k]`, Q_k, `inner[k]` — and x_k, the
/// vector with the first k factors applied, has `lengths[k]` entries. Shared by the Double and single-precision
/// chains.
struct ChainGeometry: Sendable {
    let shapes: [KroneckerFactorShape]
    /// ∏_{g<k} P_g per factor k.
    let outer: [Int]
    /// ∏_{g>k} Q_g per factor k.
    let inner: [Int]
    /// Length of x_k, k = 0 … F (x_0 the input, x_F the output).
    let lengths: [Int]

    init(shapes: [KroneckerFactorShape]) {
        self.shapes = shapes
        let f = shapes.count
        outer = (0..<f).map { k in shapes[..<k].reduce(1) { $0 * $1.rows } }
        inner = (0..<f).map { k in shapes[(k + 1)...].reduce(1) { $0 * $1.columns } }
        lengths = (0...f).map { k in
            shapes[..<k].reduce(1) { $0 * $1.rows } * shapes[k...].reduce(1) { $0 * $1.columns }
        }
    }

    var factorCount: Int { shapes.count }
    /// The longest x_k: scratch for a chain needs this many entries per vector.
    var maxLength: Int { lengths.max()! }
}
