import KRUInference

/// What a dense recurrent language model in a checkpoint looks like, found from tensor names, shapes and (when the
/// file holds the model itself) its module types — nothing is decoded: `kru convert --list` prints it,
/// ``DenseRecurrentCheckpoint/recognize(_:map:nonlinearity:)`` then decodes the tensors it names.
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
    /// Whether the readout weight is the embedding (one storage in the checkpoint).
    public let tiedReadout: Bool
    /// What was recognised and why, one sentence per part (for `kru convert --list`).
    public let reasons: [String]

    /// Finds the model in `checkpoint`, by `map` if given, else by ``ModelRecognizer``'s rules.
    /// - Parameter nonlinearity: `nn.RNN`'s cell when the checkpoint does not record it (a state dict):
    ///   `.rnnTanh` (PyTorch's default) if nil. When the checkpoint records it, a different value is an error.
    public init(_ checkpoint: Checkpoint, map: TensorMap? = nil, nonlinearity: ModelDescription.Cell? = nil) throws {
        let recognizer = ModelRecognizer(checkpoint: checkpoint)
        let recognition = try map.map(recognizer.check) ?? recognizer.recognize()
        let map = recognition.map
        func tensor(_ name: String) throws -> CheckpointTensor {
            guard let t = checkpoint[name] else { throw ConversionError("the checkpoint has no tensor \(name)") }
            return t
        }
        func matrix(_ name: String) throws -> (rows: Int, columns: Int) {
            let t = try tensor(name)
            guard t.shape.count == 2 else {
                throw ConversionError("\(name) has shape \(t.shape); a matrix was expected")
            }
            return (t.shape[0], t.shape[1])
        }
        func vector(_ name: String, length: Int) throws {
            let t = try tensor(name)
            guard t.shape == [length] else {
                throw ConversionError("\(name) has shape \(t.shape); [\(length)] was expected")
            }
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
                throw ConversionError("\(whh.name) stacks \(g) gate blocks; RNN has 1, GRU 3, LSTM 4, and all "
                                      + "layers must agree")
            }
            gates = g
            let wih = try matrix("\(prefix)weight_ih_l\(l)")
            let expectedWidth = l == 0 ? wih.columns : hiddenSizes[l - 1]
            guard wih.rows == g * n, wih.columns == expectedWidth else {
                throw ConversionError("\(prefix)weight_ih_l\(l) has shape [\(wih.rows), \(wih.columns)]; "
                                      + "[\(g * n), \(expectedWidth)] was expected")
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
            throw ConversionError("\(prefix)* is bidirectional (has _reverse weights); a streaming model runs one "
                                  + "direction only")
        }
        if let name = map.embedding {
            let e = try matrix(name)
            guard e.columns == inputWidth else {
                throw ConversionError("\(name) is \(e.rows)×\(e.columns) but the first layer takes \(inputWidth) "
                                      + "inputs")
            }
            embedding = e
        } else {
            embedding = nil
        }
        let readout = try matrix(map.readoutWeight)
        guard readout.columns == last else {
            throw ConversionError("\(map.readoutWeight) is \(readout.rows)×\(readout.columns) but the last layer "
                                  + "has \(last) units")
        }
        if let bias = map.readoutBias { try vector(bias, length: readout.rows) }
        self.map = map
        self.cell = try Self.cell(gates: gates, recorded: recognition.recordedCell, asked: nonlinearity)
        self.hiddenSizes = hiddenSizes
        self.inputWidth = inputWidth
        self.hasBiases = hasBiases
        self.outputWidth = readout.rows
        self.tiedReadout = recognition.tiedReadout
        var reasons = recognition.reasons
        if gates == 1 && recognition.recordedCell == nil {
            reasons.append(nonlinearity == nil
                ? "nonlinearity: tanh, nn.RNN's default: a state dict does not record it (--nonlinearity relu if "
                    + "the model used ReLU)"
                : "nonlinearity: \(self.cell == .rnnReLU ? "relu" : "tanh") (--nonlinearity)")
        }
        self.reasons = reasons
    }

    /// The cell from the gate count, the file's own record and the user's `--nonlinearity`, which must agree.
    private static func cell(gates: Int, recorded: ModelDescription.Cell?,
                             asked: ModelDescription.Cell?) throws -> ModelDescription.Cell {
        let fromShapes: ModelDescription.Cell? = gates == 4 ? .lstm : gates == 3 ? .gru : nil
        if let recorded {
            guard fromShapes == nil || fromShapes == recorded, fromShapes != nil || recorded.gateCount == 1 else {
                throw ConversionError("the checkpoint records a \(recorded.rawValue) module but its weights stack "
                                      + "\(gates) gate blocks")
            }
            if let asked, gates == 1, asked != recorded {
                throw ConversionError("the checkpoint records its nn.RNN as \(recorded.rawValue); --nonlinearity "
                                      + "\(asked == .rnnReLU ? "relu" : "tanh") contradicts it")
            }
            return recorded
        }
        return fromShapes ?? asked ?? .rnnTanh
    }
}
