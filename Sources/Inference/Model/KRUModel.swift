import KRUFormat

/// A runnable KRU (or dense RNN/LSTM/GRU) model loaded from a `.kru` file (spec/MODEL.md).
///
/// Loading checks the whole model — metadata, every tensor's presence, shape and dtype, Kronecker factor
/// products, the vocabulary — and throws ``ModelSchemaError`` naming what is wrong (or `KRUFormatError` for a
/// damaged file). A model is immutable and may be shared across threads; run it through a ``KRUSession``.
///
/// ```swift
/// let model = try KRUModel(path: "models/kjv-char.kru")
/// let session = model.session()
/// session.feed(token: model.tokenIndex(of: "t")!)
/// let probabilities = session.probabilities()
/// ```
public final class KRUModel: Sendable {
    /// The structure the metadata declares.
    public let description: ModelDescription
    /// All metadata of the file (including `general.*` and training records).
    public let metadata: [KRUMetadataEntry]
    let embedding: DenseMatrix?  // V × E
    let layers: [LayerWeights]
    let readout: DenseMatrix  // K × D_out
    let readoutBias: [Float]
    private let tokenIndices: [Unicode.Scalar: Int]

    /// Loads the model at `path`.
    public convenience init(path: String) throws {
        try self.init(file: KRUFile(path: path))
    }

    /// Loads a model from an open `.kru` file.
    public init(file: KRUFile) throws {
        var loader = WeightLoader(file: file)
        let embeddingWidth = try file.tensorInfo(named: ModelTensorName.embedding).map { info -> Int in
            guard info.shape.count == 2 else { throw ModelSchemaError("tensor input.embedding must be a matrix, has shape \(info.shape)") }
            return info.shape[1]
        }
        let description = try ModelDescription(file: file, embeddingWidth: embeddingWidth)
        if let width = embeddingWidth {
            guard let vocabulary = description.vocabulary else {
                throw ModelSchemaError("tensor input.embedding is only allowed for token models")
            }
            embedding = try loader.matrix(ModelTensorName.embedding, rows: vocabulary.count, columns: width)
        } else {
            embedding = nil
        }
        layers = try description.layers.enumerated().map { try loader.layerWeights($0, $1) }
        let width = description.layers.last!.outputSize
        readout = try loader.matrix(ModelTensorName.readoutWeight, rows: description.outputWidth, columns: width)
        readoutBias = try loader.real(ModelTensorName.readoutBias, shape: [description.outputWidth])
        try loader.checkNothingUnused()
        self.description = description
        self.metadata = file.metadata
        tokenIndices = Dictionary(uniqueKeysWithValues: (description.vocabulary ?? []).enumerated().map { ($1, $0) })
    }

    /// The token id of `scalar`, or nil if it is not in the vocabulary (or this is not a token model).
    public func tokenIndex(of scalar: Unicode.Scalar) -> Int? { tokenIndices[scalar] }

    /// A new session of `batchSize` streams (default one), starting from the zero state.
    public func session(batchSize: Int = 1) -> KRUSession { KRUSession(model: self, batchSize: batchSize) }

    /// Recurrent parameters (real numbers) stored by the layers: what Kronecker factorization shrinks.
    public var recurrentParameterCount: Int {
        layers.reduce(0) { $0 + $1.recurrentBlocks.reduce(0) { $0 + $1.parameterCount } }
    }

    /// Every parameter (real numbers) of the model.
    public var parameterCount: Int {
        let layerParameters = layers.reduce(0) { total, layer in
            switch layer {
            case .kru(let w):
                total + 2 * w.input.real.values.count + 2 * w.hiddenSize + (w.modReLUBias?.count ?? 0)
            case .real(let w):
                total + w.input.values.count + (w.inputBias?.count ?? 0) + (w.recurrentBias?.count ?? 0)
            }
        }
        return layerParameters + recurrentParameterCount + (embedding?.values.count ?? 0)
            + readout.values.count + readoutBias.count
    }
}
