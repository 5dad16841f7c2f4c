import KRUInference

/// One recurrent layer of a trainable model (spec/MODEL.md §3–4): a complex `kru` cell, or one of PyTorch's real
/// cells (`rnn_tanh`, `rnn_relu`, `lstm`, `gru`), with a dense or Kronecker-factored recurrent matrix.
///
/// ```swift
/// let kru = LayerArchitecture(squareFactors: [2, 2, 2, 2], activation: .modReLU)          // N = 16
/// let lstm = LayerArchitecture(cell: .lstm, hiddenSize: 128, recurrence: .dense)
/// let gated = LayerArchitecture(cell: .lstm, hiddenSize: 64,
///                               recurrence: .kronecker(factorShapes: [.init(square: 8), .init(square: 8)], rank: 2))
/// ```
public struct LayerArchitecture: Hashable, Sendable {
    /// How the recurrent blocks R_g are stored.
    public enum Recurrence: Hashable, Sendable {
        /// One dense G·N × N matrix (PyTorch's `weight_hh`).
        case dense
        /// Each block is Σ_{t<r} ⊗_f W_{g,t,f}; every block and term uses the same factor shapes (factor 0 the
        /// most significant digit, ∏P_f = ∏Q_f = N).
        case kronecker(factorShapes: [KroneckerFactorShape], rank: Int)
    }

    /// The cell (spec/MODEL.md §4).
    public var cell: ModelDescription.Cell
    /// N: complex state units for `kru`, real units otherwise.
    public var hiddenSize: Int
    /// The `kru` cell's activation; nil for the real cells.
    public var activation: ModelDescription.Activation?
    public var recurrence: Recurrence
    /// Real cells: whether the layer has `bias_ih` and `bias_hh` (PyTorch's `bias=True`). `kru` cells always have
    /// their complex bias b.
    public var hasBias: Bool

    /// A real cell.
    public init(cell: ModelDescription.Cell, hiddenSize: Int, recurrence: Recurrence, hasBias: Bool = true) {
        precondition(cell != .kru,
                     "a kru layer needs an activation: use init(hiddenSize:activation:factorShapes:rank:)")
        self.cell = cell
        self.hiddenSize = hiddenSize
        self.activation = nil
        self.recurrence = recurrence
        self.hasBias = hasBias
    }

    /// A complex `kru` layer: h_t = act(Σ_{t<r} (⊗_f W_{t,f}) h_{t−1} + U x_t + b).
    public init(hiddenSize: Int, activation: ModelDescription.Activation, factorShapes: [KroneckerFactorShape],
                rank: Int = 1) {
        self.cell = .kru
        self.hiddenSize = hiddenSize
        self.activation = activation
        self.recurrence = .kronecker(factorShapes: factorShapes, rank: rank)
        self.hasBias = true
    }

    /// A `kru` layer with square factors of the given sizes, e.g. `[2, 2, 2, 2]` for N = 16; N is their product.
    public init(squareFactors sizes: [Int], activation: ModelDescription.Activation, rank: Int = 1) {
        self.init(hiddenSize: sizes.reduce(1, *), activation: activation,
                  factorShapes: sizes.map(KroneckerFactorShape.init(square:)), rank: rank)
    }

    /// Whether the state, the weights and the recurrence are complex (`kru`) or real.
    public var isComplex: Bool { cell == .kru }
    /// G, the number of recurrent blocks: 1, or 4 for LSTM, 3 for GRU.
    public var gateCount: Int { cell.gateCount }
    /// The factor shapes of a Kronecker recurrence; empty for a dense one.
    public var factorShapes: [KroneckerFactorShape] {
        if case .kronecker(let shapes, _) = recurrence { shapes } else { [] }
    }
    /// r, the number of Kronecker terms per block; 0 for a dense recurrence.
    public var rank: Int {
        if case .kronecker(_, let rank) = recurrence { rank } else { 0 }
    }

    /// Width of the layer's output: [Re h; Im h] for `kru`, h for the real cells.
    public var outputSize: Int { isComplex ? 2 * hiddenSize : hiddenSize }

    /// Real parameters of the recurrent matrix: G·N² dense, G·r·Σ_f P_f·Q_f Kronecker (twice that when complex).
    public var recurrentParameterCount: Int {
        let real = switch recurrence {
        case .dense: gateCount * hiddenSize * hiddenSize
        case .kronecker(let shapes, let rank): gateCount * rank * shapes.reduce(0) { $0 + $1.entryCount }
        }
        return isComplex ? 2 * real : real
    }

    func validate(layer l: Int) throws(ArchitectureError) {
        let limit = ModelLimits.maxSize
        guard (1...limit).contains(hiddenSize) else {
            throw ArchitectureError("layer \(l): hidden size \(hiddenSize) is outside 1…2^24")
        }
        guard (cell == .kru) == (activation != nil) else {
            throw ArchitectureError("layer \(l): a kru cell needs an activation and a \(cell.rawValue) cell has none")
        }
        switch recurrence {
        case .dense:
            guard cell != .kru else {
                throw ArchitectureError("layer \(l): the trainer's kru layers are Kronecker-factored")
            }
            // G·N² must stay addressable: the dense block is one tensor.
            guard hiddenSize <= 1 << 14 else {
                throw ArchitectureError("layer \(l): a dense recurrence of \(hiddenSize) units is too large")
            }
        case .kronecker(let shapes, let rank):
            try Self.validate(shapes: shapes, rank: rank, hiddenSize: hiddenSize, layer: l)
        }
    }

    private static func validate(shapes: [KroneckerFactorShape], rank: Int, hiddenSize: Int,
                                 layer l: Int) throws(ArchitectureError) {
        let limit = ModelLimits.maxSize
        guard (1...ModelLimits.maxRank).contains(rank) else {
            throw ArchitectureError("layer \(l): rank \(rank) is outside 1…\(ModelLimits.maxRank)")
        }
        guard (1...ModelLimits.maxFactors).contains(shapes.count) else {
            throw ArchitectureError("layer \(l): \(shapes.count) factors; 1…\(ModelLimits.maxFactors) are allowed")
        }
        for (f, shape) in shapes.enumerated() where shape.rows < 1 || shape.columns < 1 {
            throw ArchitectureError("layer \(l): factor \(f) has shape \(shape)")
        }
        // Capped products: a wild shape list must not overflow before it is refused.
        var rows = 1, columns = 1
        for shape in shapes {
            rows = min(rows * shape.rows, limit + 1)
            columns = min(columns * shape.columns, limit + 1)
        }
        guard rows == hiddenSize, columns == hiddenSize else {
            let text = shapes.map(\.description).joined(separator: " ⊗ ")
            throw ArchitectureError(
                "layer \(l): factors \(text) multiply to \(rows)×\(columns), not \(hiddenSize)×\(hiddenSize)")
        }
    }
}
