/// The state h of every layer for a batch of streams: what truncated backpropagation through time carries from
/// one chunk to the next (as a constant — no gradient flows back across the cut).
public struct RecurrentState: Sendable, Equatable {
    /// h of one layer, batch-major split planes: stream b's unit k is `real[b·N + k] + i·imaginary[b·N + k]`.
    public struct Layer: Sendable, Equatable {
        public var real: [Double]
        public var imaginary: [Double]

        public init(real: [Double], imaginary: [Double]) {
            precondition(real.count == imaginary.count, "the planes differ in length")
            self.real = real
            self.imaginary = imaginary
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
            return Layer(real: zeros, imaginary: zeros)
        })
    }
}
