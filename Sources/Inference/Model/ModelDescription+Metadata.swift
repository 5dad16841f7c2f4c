import KRUFormat

extension ModelDescription.Layer {
    /// A layer of a model to be written; `inputSize` is derived from its place in the stack by
    /// ``ModelDescription/init(input:embeddingWidth:layers:outputKind:outputWidth:outputSteps:tiedReadout:)``.
    public init(cell: ModelDescription.Cell, hiddenSize: Int, activation: ModelDescription.Activation? = nil,
                recurrent: ModelDescription.Recurrent) {
        self.init(cell: cell, hiddenSize: hiddenSize, activation: activation, recurrent: recurrent, inputSize: 0)
    }
}

extension ModelDescription {
    /// Describes a model to be written (by a converter or trainer). Layer input sizes follow spec/MODEL.md
    /// §4.1 from `input`, the embedding width (token models with an `input.embedding` tensor) and the stack.
    public init(input: Input, embeddingWidth: Int? = nil, layers: [Layer], outputKind: OutputKind, outputWidth: Int,
                outputSteps: OutputSteps, tiedReadout: Bool = false) {
        let inputWidth: Int
        switch input {
        case .tokens(let vocabulary): inputWidth = embeddingWidth ?? vocabulary.count
        case .vectors(let width): inputWidth = width
        }
        var width = inputWidth
        self.layers = layers.map { layer in
            let placed = Layer(cell: layer.cell, hiddenSize: layer.hiddenSize, activation: layer.activation,
                               recurrent: layer.recurrent, inputSize: width)
            width = placed.outputSize
            return placed
        }
        self.input = input
        self.inputWidth = inputWidth
        self.outputKind = outputKind
        self.outputWidth = outputWidth
        self.outputSteps = outputSteps
        self.tiedReadout = tiedReadout
    }

    /// The spec/MODEL.md §2 metadata that declares this structure (what ``KRUModel`` reads back).
    public var schemaMetadata: [KRUMetadataEntry] {
        var entries: [KRUMetadataEntry] = [.init("kru.schema_version", .int(schemaVersion))]
        switch input {
        case .tokens(let vocabulary):
            entries.append(.init("kru.input.kind", .string("tokens")))
            entries.append(.init("kru.input.vocabulary", .stringArray(vocabulary.tokens)))
            if schemaVersion >= 2 {
                entries.append(.init("kru.input.tokenizer", .string(vocabulary.tokenizer.rawValue)))
            }
        case .vectors(let width):
            entries.append(.init("kru.input.kind", .string("vectors")))
            entries.append(.init("kru.input.width", .int(Int64(width))))
        }
        entries.append(.init("kru.layer_count", .int(Int64(layers.count))))
        for (l, layer) in layers.enumerated() {
            let prefix = "kru.layer.\(l)."
            entries.append(.init(prefix + "cell", .string(layer.cell.rawValue)))
            entries.append(.init(prefix + "hidden_size", .int(Int64(layer.hiddenSize))))
            if let activation = layer.activation {
                entries.append(.init(prefix + "activation", .string(activation.rawValue)))
            }
            switch layer.recurrent {
            case .dense:
                entries.append(.init(prefix + "recurrent", .string("dense")))
            case .kronecker(let rank, let factors):
                entries.append(.init(prefix + "recurrent", .string("kronecker")))
                entries.append(.init(prefix + "recurrent_rank", .int(Int64(rank))))
                entries.append(.init(prefix + "recurrent_factors", .int(Int64(factors))))
            }
        }
        entries.append(.init("kru.output.kind", .string(outputKind.rawValue)))
        entries.append(.init("kru.output.width", .int(Int64(outputWidth))))
        entries.append(.init("kru.output.steps", .string(outputSteps.rawValue)))
        if tiedReadout { entries.append(.init("kru.output.tied", .bool(true))) }
        return entries
    }
}

/// spec/MODEL.md tensor names, in one place for readers and writers.
public enum ModelTensorName {
    public static let embedding = "input.embedding"
    public static let readoutWeight = "readout.weight"
    public static let readoutBias = "readout.bias"
    public static func inputWeight(layer l: Int) -> String { "layer.\(l).weight_ih" }
    public static func inputBias(layer l: Int) -> String { "layer.\(l).bias_ih" }
    public static func recurrentBias(layer l: Int) -> String { "layer.\(l).bias_hh" }
    /// The dense recurrent matrix (gate blocks stacked).
    public static func recurrentWeight(layer l: Int) -> String { "layer.\(l).weight_hh" }
    /// Factor `f` of Kronecker term `t` of recurrent block `g`.
    public static func recurrentFactor(layer l: Int, gate g: Int, term t: Int, factor f: Int) -> String {
        "layer.\(l).weight_hh.\(g).\(t).\(f)"
    }
    /// The complex bias of a `kru` cell.
    public static func kruBias(layer l: Int) -> String { "layer.\(l).bias" }
    public static func modReLUBias(layer l: Int) -> String { "layer.\(l).modrelu_bias" }
}
