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
    /// Width of the first layer's input: the embedding width, or the one-hot width (the vocabulary size).
    public var inputWidth: Int { layers[0].inputSize }

    /// Parameters of the recurrent matrices (all gate blocks of all layers).
    public var recurrentParameterCount: Int { layers.reduce(0) { $0 + $1.recurrentWeight.count } }

    /// Every parameter, counted as ``KRUModel/parameterCount`` counts the converted model (embedding included).
    public var parameterCount: Int {
        let layerParameters = layers.reduce(0) { total, layer in
            total + layer.inputWeight.count + layer.recurrentWeight.count + (layer.inputBias?.count ?? 0)
                + (layer.recurrentBias?.count ?? 0)
        }
        return layerParameters + (embedding?.values.count ?? 0) + readoutWeight.count + readoutBias.count
    }

    /// Finds the model in `checkpoint`, by `map` if given, else by PyTorch's names and shapes, and decodes its
    /// weights (only these: other tensors of the checkpoint stay undecoded).
    /// - Parameter nonlinearity: for `nn.RNN` (its state dict does not say): `.rnnTanh` or `.rnnReLU`.
    public static func recognize(_ checkpoint: Checkpoint, map: TensorMap? = nil,
                                 nonlinearity: ModelDescription.Cell = .rnnTanh) throws -> DenseRecurrentCheckpoint {
        try DenseRecurrentCheckpoint(checkpoint, structure: DenseRecurrentStructure(checkpoint, map: map, nonlinearity: nonlinearity))
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
            Layer(inputWeight: try values("\(prefix)weight_ih_l\(l)"), recurrentWeight: try values("\(prefix)weight_hh_l\(l)"),
                  inputBias: structure.hasBiases ? try values("\(prefix)bias_ih_l\(l)") : nil,
                  recurrentBias: structure.hasBiases ? try values("\(prefix)bias_hh_l\(l)") : nil,
                  hiddenSize: structure.hiddenSizes[l], inputSize: l == 0 ? structure.inputWidth : structure.hiddenSizes[l - 1])
        }
        embedding = try structure.embedding.map { ($0.rows, $0.columns, try values(structure.map.embedding!)) }
        readoutWeight = try values(structure.map.readoutWeight)
        readoutBias = try structure.map.readoutBias.map(values) ?? [Double](repeating: 0, count: structure.outputWidth)
        outputWidth = structure.outputWidth
        cell = structure.cell
        map = structure.map
    }
}

/// What a dense character model in a checkpoint looks like, found from tensor names and shapes alone (nothing is
/// decoded): `kru convert --list` prints it, ``DenseRecurrentCheckpoint/recognize(_:map:nonlinearity:)`` then
/// decodes the tensors it names.
public struct DenseRecurrentStructure: Sendable {
    public let map: TensorMap
    public let cell: ModelDescription.Cell
    /// N of each layer, first layer first.
    public let hiddenSizes: [Int]
    /// Width of the first layer's input: the embedding width, or the one-hot width (the vocabulary size).
    public let inputWidth: Int
    /// Whether the layers have `bias_ih`/`bias_hh`.
    public let hasBiases: Bool
    /// V × E, nil for one-hot input.
    public let embedding: (rows: Int, columns: Int)?
    /// K, the readout's rows.
    public let outputWidth: Int

    /// Finds the model in `checkpoint`, by `map` if given, else by PyTorch's names and shapes.
    public init(_ checkpoint: Checkpoint, map: TensorMap? = nil, nonlinearity: ModelDescription.Cell = .rnnTanh) throws {
        let map = try map ?? TensorMapRecognizer(checkpoint).recognize()
        func tensor(_ name: String) throws -> CheckpointTensor {
            guard let t = checkpoint[name] else { throw ConversionError("the checkpoint has no tensor \(name)") }
            return t
        }
        func matrix(_ name: String) throws -> (rows: Int, columns: Int) {
            let t = try tensor(name)
            guard t.shape.count == 2 else { throw ConversionError("\(name) has shape \(t.shape); a matrix was expected") }
            return (t.shape[0], t.shape[1])
        }
        func vector(_ name: String, length: Int) throws {
            let t = try tensor(name)
            guard t.shape == [length] else { throw ConversionError("\(name) has shape \(t.shape); [\(length)] was expected") }
        }
        let prefix = map.recurrentPrefix
        var hiddenSizes: [Int] = []
        var gates = 0
        var inputWidth = 0
        var hasBiases = false
        while let whh = checkpoint["\(prefix)weight_hh_l\(hiddenSizes.count)"] {
            let l = hiddenSizes.count
            guard whh.shape.count == 2, whh.shape[1] >= 1, whh.shape[0] % whh.shape[1] == 0 else {
                throw ConversionError("\(whh.name) has shape \(whh.shape); G·N × N was expected")
            }
            let n = whh.shape[1], g = whh.shape[0] / n
            guard [1, 3, 4].contains(g), gates == 0 || g == gates else {
                throw ConversionError("\(whh.name) stacks \(g) gate blocks; RNN has 1, GRU 3, LSTM 4, and all layers must agree")
            }
            gates = g
            let wih = try matrix("\(prefix)weight_ih_l\(l)")
            let expectedWidth = l == 0 ? wih.columns : hiddenSizes[l - 1]
            guard wih.rows == g * n, wih.columns == expectedWidth else {
                throw ConversionError("\(prefix)weight_ih_l\(l) has shape [\(wih.rows), \(wih.columns)]; [\(g * n), \(expectedWidth)] was expected")
            }
            if l == 0 { inputWidth = wih.columns }
            let biased = checkpoint["\(prefix)bias_ih_l\(l)"] != nil || checkpoint["\(prefix)bias_hh_l\(l)"] != nil
            guard l == 0 || biased == hasBiases else {
                throw ConversionError("\(prefix)bias_*_l\(l) \(biased ? "exist" : "are missing") but not in layer 0")
            }
            hasBiases = biased
            if biased {
                try vector("\(prefix)bias_ih_l\(l)", length: g * n)
                try vector("\(prefix)bias_hh_l\(l)", length: g * n)
            }
            hiddenSizes.append(n)
        }
        guard let last = hiddenSizes.last else { throw ConversionError("the checkpoint has no \(prefix)weight_hh_l0") }
        if checkpoint.tensors.contains(where: { $0.name.hasPrefix(prefix) && $0.name.hasSuffix("_reverse") }) {
            throw ConversionError("\(prefix)* is bidirectional (has _reverse weights); a streaming model runs one direction only")
        }
        if let name = map.embedding {
            let e = try matrix(name)
            guard e.columns == inputWidth else {
                throw ConversionError("\(name) is \(e.rows)×\(e.columns) but the first layer takes \(inputWidth) inputs")
            }
            embedding = e
        } else {
            embedding = nil
        }
        let readout = try matrix(map.readoutWeight)
        guard readout.columns == last else {
            throw ConversionError("\(map.readoutWeight) is \(readout.rows)×\(readout.columns) but the last layer has \(last) units")
        }
        if let bias = map.readoutBias { try vector(bias, length: readout.rows) }
        self.map = map
        self.cell = gates == 4 ? .lstm : gates == 3 ? .gru : nonlinearity
        self.hiddenSizes = hiddenSizes
        self.inputWidth = inputWidth
        self.hasBiases = hasBiases
        self.outputWidth = readout.rows
    }
}

/// Guesses the ``TensorMap`` from PyTorch's naming: the recurrent prefix from `*weight_hh_l0`, the embedding as
/// the matrix whose width is the first layer's input width, the readout as the matrix whose width is the last
/// layer's size. Ambiguity is an error that lists the candidates (use `--map`).
struct TensorMapRecognizer {
    let checkpoint: Checkpoint
    init(_ checkpoint: Checkpoint) { self.checkpoint = checkpoint }

    func recognize() throws -> TensorMap {
        let prefixes = checkpoint.tensors.compactMap { t -> String? in
            t.name.hasSuffix("weight_hh_l0") ? String(t.name.dropLast("weight_hh_l0".count)) : nil
        }
        guard prefixes.count == 1, let prefix = prefixes.first else {
            throw ConversionError(prefixes.isEmpty
                ? "no recurrent layer found (no tensor named *weight_hh_l0); give --map"
                : "several recurrent modules found (\(prefixes.map { "\($0)*" }.joined(separator: ", "))); give --map")
        }
        let others = checkpoint.tensors.filter { !$0.name.hasPrefix(prefix) || !$0.name.dropFirst(prefix.count).contains("_l") }
        guard let wih = checkpoint["\(prefix)weight_ih_l0"], wih.shape.count == 2 else {
            throw ConversionError("\(prefix)weight_ih_l0 is missing or not a matrix")
        }
        var last = 0
        while checkpoint["\(prefix)weight_hh_l\(last + 1)"] != nil { last += 1 }
        guard let whh = checkpoint["\(prefix)weight_hh_l\(last)"], whh.shape.count == 2 else {
            throw ConversionError("\(prefix)weight_hh_l\(last) is not a matrix")
        }
        let hidden = whh.shape[1]
        let embeddings = others.filter { $0.shape.count == 2 && $0.shape[1] == wih.shape[1] && $0.name != "\(prefix)weight_ih_l0" }
        let readouts = others.filter { $0.shape.count == 2 && $0.shape[1] == hidden && $0.name.hasSuffix("weight") }
        guard embeddings.count <= 1 else {
            throw ConversionError("several embedding candidates (\(embeddings.map(\.name).joined(separator: ", "))); give --map")
        }
        guard readouts.count == 1, let readout = readouts.first else {
            throw ConversionError(readouts.isEmpty
                ? "no readout found (a *.weight matrix of width \(hidden)); give --map"
                : "several readout candidates (\(readouts.map(\.name).joined(separator: ", "))); give --map")
        }
        let biasName = String(readout.name.dropLast("weight".count)) + "bias"
        return TensorMap(embedding: embeddings.first?.name, recurrentPrefix: prefix, readoutWeight: readout.name,
                         readoutBias: checkpoint[biasName] == nil ? nil : biasName)
    }
}
