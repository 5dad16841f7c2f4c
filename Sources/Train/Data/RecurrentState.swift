/// The state of every layer for a batch of streams: what truncated backpropagation through time carries from one
/// chunk to the next (as a constant — no gradient flows back across the cut).
public struct RecurrentState: Sendable, Equatable {
    /// One layer's state, batch-major: stream b's unit k is at index `b·N + k` of each array.
    public struct Layer: Sendable, Equatable {
        /// h: its real plane for a `kru` layer, h itself for a real cell.
        public var real: [Double]
        /// The imaginary plane of a `kru` layer's h; empty for real cells.
        public var imaginary: [Double]
        /// An LSTM's cell state c; empty for the other cells.
        public var cell: [Double]

        public init(real: [Double], imaginary: [Double] = [], cell: [Double] = []) {
            self.real = real
            self.imaginary = imaginary
            self.cell = cell
        }
    }

    public let batchSize: Int
    public var layers: [Layer]

    public init(batchSize: Int, layers: [Layer]) {
        self.batchSize = batchSize
        self.layers = layers
    }

    /// The zero state (spec/MODEL.md §1: every layer starts at zero).
    public static func zero(_ architecture: KRUArchitecture, batchSize: Int) -> RecurrentState {
        RecurrentState(batchSize: batchSize, layers: architecture.layers.map {
            let zeros = [Double](repeating: 0, count: batchSize * $0.hiddenSize)
            return Layer(real: zeros, imaginary: $0.isComplex ? zeros : [], cell: $0.cell == .lstm ? zeros : [])
        })
    }

    /// Whether this state fits a batch of `batchSize` streams of `architecture`.
    func fits(_ architecture: KRUArchitecture, batchSize: Int) -> Bool {
        self.batchSize == batchSize && layers.count == architecture.layers.count
            && zip(layers, architecture.layers).allSatisfy { state, layer in
                let count = batchSize * layer.hiddenSize
                return state.real.count == count && state.imaginary.count == (layer.isComplex ? count : 0)
                    && state.cell.count == (layer.cell == .lstm ? count : 0)
            }
    }
}
