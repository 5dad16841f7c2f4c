import KRUFormat

/// The structure of a model as its metadata declares it (spec/MODEL.md §2), before any weight is read.
public struct ModelDescription: Equatable, Sendable {
    public enum Input: Equatable, Sendable {
        /// Token ids `0..<vocabulary.count`; token `i` is `vocabulary[i]`, and the vocabulary's tokenizer says how
        /// text becomes tokens.
        case tokens(vocabulary: Vocabulary)
        /// Real vectors of a fixed width.
        case vectors(width: Int)

        /// Tokens of a character vocabulary: token `i` is the Unicode scalar `vocabulary[i]`.
        public static func tokens(vocabulary: [Unicode.Scalar]) -> Input {
            .tokens(vocabulary: Vocabulary(characters: vocabulary))
        }
    }

    public enum Cell: String, Sendable, CaseIterable {
        case kru, rnnTanh = "rnn_tanh", rnnReLU = "rnn_relu", lstm, gru

        /// Recurrent blocks per layer: gates stacked in PyTorch order.
        public var gateCount: Int {
            switch self {
            case .kru, .rnnTanh, .rnnReLU: 1
            case .lstm: 4
            case .gru: 3
            }
        }
    }

    public enum Activation: String, Sendable, CaseIterable {
        case modReLU = "modrelu", splitReLU = "split_relu", splitTanh = "split_tanh"
    }

    public enum Recurrent: Equatable, Sendable {
        case dense
        /// A sum of `rank` Kronecker products of `factors` factors each.
        case kronecker(rank: Int, factors: Int)
    }

    public struct Layer: Equatable, Sendable {
        public let cell: Cell
        public let hiddenSize: Int
        /// `kru` cells only.
        public let activation: Activation?
        public let recurrent: Recurrent
        /// Width of the layer's input (spec/MODEL.md §4.1).
        public let inputSize: Int
        /// Width of what the layer passes on: `2N` for `kru` (real and imaginary parts), `N` otherwise.
        public var outputSize: Int { cell == .kru ? 2 * hiddenSize : hiddenSize }
    }

    public enum OutputKind: String, Sendable, CaseIterable { case categorical, bernoulli, regression }
    public enum OutputSteps: String, Sendable, CaseIterable { case every, last }

    public let input: Input
    public let layers: [Layer]
    public let outputKind: OutputKind
    public let outputWidth: Int
    public let outputSteps: OutputSteps
    /// Width of layer 0's input: the embedding width, the vocabulary size (one-hot) or the vector width.
    public let inputWidth: Int
    /// Whether the readout weight is `input.embedding` (`kru.output.tied`, spec/MODEL.md §5).
    public let tiedReadout: Bool

    /// The vocabulary of a token model, else nil.
    public var vocabulary: Vocabulary? {
        if case .tokens(let vocabulary) = input { vocabulary } else { nil }
    }

    /// The lowest schema version that expresses this model (spec/MODEL.md §7): 2 for `words` and `bytes`
    /// vocabularies and tied readouts, 1 otherwise.
    public var schemaVersion: Int64 {
        tiedReadout || (vocabulary.map { $0.tokenizer != .characters } ?? false) ? 2 : 1
    }
}

extension ModelDescription {
    /// The newest schema version this build reads (spec/MODEL.md §7).
    static let newestSchemaVersion: Int64 = 2
    static let maxSize = Int64(ModelLimits.maxSize)
    static let maxCount = Int64(ModelLimits.maxLayers)

    /// Reads and checks the schema's metadata. `embeddingWidth` is the width of `input.embedding` if the file
    /// has one (it decides layer 0's input width for token models).
    init(file: KRUFile, embeddingWidth: Int?) throws {
        let keys = MetadataReader(file: file)
        let version = try keys.int("kru.schema_version", in: 1...Int64.max)
        guard version <= Self.newestSchemaVersion else {
            throw ModelSchemaError("model schema is v\(version), this build reads v\(Self.newestSchemaVersion)")
        }
        let schemaTwoKeys = ["kru.input.tokenizer", "kru.output.tied"]
        if version == 1, let key = schemaTwoKeys.first(where: { file.metadata($0) != nil }) {
            throw ModelSchemaError("metadata \(key) needs kru.schema_version 2; this file declares 1, whose readers "
                                   + "would ignore it")
        }
        switch try keys.string("kru.input.kind") {
        case "tokens":
            let strings = try keys.strings("kru.input.vocabulary")
            let tokenizer = file.metadata("kru.input.tokenizer") == nil
                ? TokenizerKind.characters : try keys.choice("kru.input.tokenizer", TokenizerKind.self)
            guard strings.count <= Self.maxSize else {
                throw ModelSchemaError("kru.input.vocabulary has \(strings.count) entries; 1 to 2^24 are allowed")
            }
            let vocabulary: Vocabulary
            do {
                vocabulary = try Vocabulary(strings, tokenizer: tokenizer)
            } catch {
                throw ModelSchemaError("kru.input.vocabulary: \(error)")
            }
            input = .tokens(vocabulary: vocabulary)
            inputWidth = embeddingWidth ?? vocabulary.count
        case "vectors":
            let width = Int(try keys.int("kru.input.width", in: 1...Self.maxSize))
            input = .vectors(width: width)
            inputWidth = width
        case let other:
            throw ModelSchemaError("kru.input.kind is \(other.debugDescription); expected \"tokens\" or \"vectors\"")
        }

        let layerCount = Int(try keys.int("kru.layer_count", in: 1...Self.maxCount))
        var layers: [Layer] = []
        var width = inputWidth
        for l in 0..<layerCount {
            let layer = try Self.layer(l, inputSize: width, keys: keys)
            layers.append(layer)
            width = layer.outputSize
        }
        self.layers = layers

        outputKind = try keys.choice("kru.output.kind", OutputKind.self)
        outputWidth = Int(try keys.int("kru.output.width", in: 1...Self.maxSize))
        outputSteps = try keys.choice("kru.output.steps", OutputSteps.self)
        if case .tokens(let vocabulary) = input, outputKind == .categorical, outputSteps == .every,
           vocabulary.count != outputWidth {
            throw ModelSchemaError("kru.output.width is \(outputWidth) but the vocabulary has "
                                   + "\(vocabulary.count) tokens")
        }
        tiedReadout = file.metadata("kru.output.tied") == nil ? false : try keys.bool("kru.output.tied")
        if tiedReadout {
            guard case .tokens(let vocabulary) = input, let embeddingWidth, embeddingWidth == layers.last!.outputSize,
                  vocabulary.count == outputWidth else {
                throw ModelSchemaError("kru.output.tied needs a token model whose input.embedding has the readout's "
                                       + "shape [\(outputWidth), \(layers.last!.outputSize)]")
            }
        }
    }

    private static func layer(_ l: Int, inputSize: Int, keys: MetadataReader) throws -> Layer {
        let prefix = "kru.layer.\(l)."
        let cell = try keys.choice(prefix + "cell", Cell.self)
        let hidden = Int(try keys.int(prefix + "hidden_size", in: 1...maxSize))
        let activation = cell == .kru ? try keys.choice(prefix + "activation", Activation.self) : nil
        let recurrent: Recurrent
        switch try keys.string(prefix + "recurrent") {
        case "dense":
            recurrent = .dense
        case "kronecker":
            recurrent = .kronecker(rank: Int(try keys.int(prefix + "recurrent_rank", in: 1...maxCount)),
                                   factors: Int(try keys.int(prefix + "recurrent_factors", in: 1...maxCount)))
        case let other:
            throw ModelSchemaError("\(prefix)recurrent is \(other.debugDescription); "
                                   + "expected \"dense\" or \"kronecker\"")
        }
        return Layer(cell: cell, hiddenSize: hidden, activation: activation, recurrent: recurrent, inputSize: inputSize)
    }
}

/// Typed access to metadata with errors that name the key.
struct MetadataReader {
    let file: KRUFile

    private func value(_ key: String) throws -> KRUMetadataValue {
        guard let value = file.metadata(key) else { throw ModelSchemaError("metadata \(key) is missing") }
        return value
    }

    func int(_ key: String, in range: ClosedRange<Int64>) throws -> Int64 {
        guard case .int(let v) = try value(key) else { throw ModelSchemaError("metadata \(key) must be an int") }
        guard range.contains(v) else {
            throw ModelSchemaError("metadata \(key) is \(v), outside \(range.lowerBound)…\(range.upperBound)")
        }
        return v
    }

    func string(_ key: String) throws -> String {
        guard case .string(let v) = try value(key) else { throw ModelSchemaError("metadata \(key) must be a string") }
        return v
    }

    func bool(_ key: String) throws -> Bool {
        guard case .bool(let v) = try value(key) else { throw ModelSchemaError("metadata \(key) must be a bool") }
        return v
    }

    func strings(_ key: String) throws -> [String] {
        guard case .stringArray(let v) = try value(key) else {
            throw ModelSchemaError("metadata \(key) must be an array of strings")
        }
        return v
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _: T.Type) throws -> T where T.RawValue == String {
        let text = try string(key)
        guard let v = T(rawValue: text) else {
            let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw ModelSchemaError("metadata \(key) is \(text.debugDescription); expected one of \(allowed)")
        }
        return v
    }
}
