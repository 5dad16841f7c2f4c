import KRUInference

/// A dense character model found in a checkpoint: `nn.Embedding` (optional) → `nn.RNN`/`nn.LSTM`/`nn.GRU`
/// (any number of layers) → `nn.Linear`, with weights as Double row-major matrices in PyTorch's layout.
public struct DenseRecurrentCheckpoint: Sendable {
    public struct Layer: Sendable {
        /// W_ih, G·N × D.
        public let inputWeight: [Double]
        /// W_hh, G·N × N (gate blocks stacked in PyTorch's order).
        public let recurrentWeight: [Double]
        public let inputBias: [Double]?
        public let recurrentBias: [Double]?
        public let hiddenSize: Int
        public let inputSize: Int
    }

    public let map: TensorMap
    public let cell: ModelDescription.Cell
    /// V × E, nil for one-hot input.
    public let embedding: (rows: Int, columns: Int, values: [Double])?
    public let layers: [Layer]
    /// K × N_last.
    public let readoutWeight: [Double]
    public let readoutBias: [Double]
    public let outputWidth: Int
    /// Whether the readout weight is the embedding (one storage in the checkpoint).
    public let tiedReadout: Bool
    /// Width of the first layer's input: the embedding width, or the one-hot width (the vocabulary size).
    public var inputWidth: Int { layers[0].inputSize }

    /// Parameters of the recurrent matrices (all gate blocks of all layers).
    public var recurrentParameterCount: Int { layers.reduce(0) { $0 + $1.recurrentWeight.count } }

    /// Every parameter, counted as ``KRUModel/parameterCount`` counts the converted model (embedding included, a
    /// tied readout weight once, as PyTorch's `parameters()` counts it).
    public var parameterCount: Int {
        let layerParameters = layers.reduce(0) { total, layer in
            total + layer.inputWeight.count + layer.recurrentWeight.count + (layer.inputBias?.count ?? 0)
                + (layer.recurrentBias?.count ?? 0)
        }
        return layerParameters + (embedding?.values.count ?? 0) + (tiedReadout ? 0 : readoutWeight.count)
            + readoutBias.count
    }

    /// Finds the model in `checkpoint`, by `map` if given, else by ``DenseRecurrentStructure``'s recognition, and
    /// decodes its weights (only these: other tensors of the checkpoint stay undecoded).
    /// - Parameter nonlinearity: for `nn.RNN` when the checkpoint does not record it (a state dict): `.rnnTanh`
    ///   (the default) or `.rnnReLU`.
    public static func recognize(_ checkpoint: Checkpoint, map: TensorMap? = nil,
                                 nonlinearity: ModelDescription.Cell? = nil) throws -> DenseRecurrentCheckpoint {
        try DenseRecurrentCheckpoint(
            checkpoint, structure: DenseRecurrentStructure(checkpoint, map: map, nonlinearity: nonlinearity))
    }

    /// Decodes the weights of a model already found in `checkpoint`.
    public init(_ checkpoint: Checkpoint, structure: DenseRecurrentStructure) throws {
        func values(_ name: String) throws -> [Double] {
            do {
                return try checkpoint[name]!.doubles()
            } catch let error as CheckpointError {
                throw ConversionError("\(name): \(error)")
            }
        }
        let prefix = structure.map.recurrentPrefix
        layers = try structure.hiddenSizes.indices.map { l in
            Layer(inputWeight: try values("\(prefix)weight_ih_l\(l)"),
                  recurrentWeight: try values("\(prefix)weight_hh_l\(l)"),
                  inputBias: structure.hasBiases ? try values("\(prefix)bias_ih_l\(l)") : nil,
                  recurrentBias: structure.hasBiases ? try values("\(prefix)bias_hh_l\(l)") : nil,
                  hiddenSize: structure.hiddenSizes[l],
                  inputSize: l == 0 ? structure.inputWidth : structure.hiddenSizes[l - 1])
        }
        embedding = try structure.embedding.map { ($0.rows, $0.columns, try values(structure.map.embedding!)) }
        readoutWeight = try values(structure.map.readoutWeight)
        readoutBias = try structure.map.readoutBias.map(values) ?? [Double](repeating: 0, count: structure.outputWidth)
        outputWidth = structure.outputWidth
        cell = structure.cell
        tiedReadout = structure.tiedReadout
        map = structure.map
    }
}
