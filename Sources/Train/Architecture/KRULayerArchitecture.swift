import KRUInference

/// One complex KRU layer: h_t = act(Σ_{t<r} (⊗_f W_{t,f}) h_{t−1} + U x_t + b) (spec/MODEL.md §4).
public struct KRULayerArchitecture: Hashable, Sendable {
    /// N, the number of complex state units.
    public var hiddenSize: Int
    /// modReLU, split ReLU or split tanh.
    public var activation: ModelDescription.Activation
    /// The shapes of W_0 … W_{F−1}, factor 0 the most significant digit; ∏P_f = ∏Q_f = N. Every Kronecker term
    /// uses the same shapes.
    public var factorShapes: [KroneckerFactorShape]
    /// r, the number of Kronecker terms summed into the recurrent matrix (1 in the paper).
    public var rank: Int

    public init(hiddenSize: Int, activation: ModelDescription.Activation, factorShapes: [KroneckerFactorShape], rank: Int = 1) {
        self.hiddenSize = hiddenSize
        self.activation = activation
        self.factorShapes = factorShapes
        self.rank = rank
    }

    /// Square factors of the given sizes, e.g. `[2, 2, 2, 2]` for N = 16; N is their product.
    public init(squareFactors sizes: [Int], activation: ModelDescription.Activation, rank: Int = 1) {
        self.init(hiddenSize: sizes.reduce(1, *), activation: activation,
                  factorShapes: sizes.map(KroneckerFactorShape.init(square:)), rank: rank)
    }

    /// Width of the layer's output [Re h; Im h].
    public var outputSize: Int { 2 * hiddenSize }

    /// Real parameters of the recurrent matrix: 2·r·Σ_f P_f·Q_f.
    public var recurrentParameterCount: Int { 2 * rank * factorShapes.reduce(0) { $0 + $1.entryCount } }

    func validate(layer l: Int) throws(ArchitectureError) {
        let limit = 1 << 24
        guard (1...limit).contains(hiddenSize) else {
            throw ArchitectureError("layer \(l): hidden size \(hiddenSize) is outside 1…2^24")
        }
        guard (1...64).contains(rank) else { throw ArchitectureError("layer \(l): rank \(rank) is outside 1…64") }
        guard (1...64).contains(factorShapes.count) else {
            throw ArchitectureError("layer \(l): \(factorShapes.count) factors; 1…64 are allowed")
        }
        for (f, shape) in factorShapes.enumerated() where shape.rows < 1 || shape.columns < 1 {
            throw ArchitectureError("layer \(l): factor \(f) has shape \(shape)")
        }
        // Capped products: a wild shape list must not overflow before it is refused.
        var rows = 1, columns = 1
        for shape in factorShapes {
            rows = min(rows * shape.rows, limit + 1)
            columns = min(columns * shape.columns, limit + 1)
        }
        guard rows == hiddenSize, columns == hiddenSize else {
            let shapes = factorShapes.map(\.description).joined(separator: " ⊗ ")
            throw ArchitectureError("layer \(l): factors \(shapes) multiply to \(rows)×\(columns), not \(hiddenSize)×\(hiddenSize)")
        }
    }
}
