import Foundation
import KRUFormat

/// A runnable KRU (or dense RNN/LSTM/GRU) model loaded from a `.kru` file (spec/MODEL.md).
///
/// Loading checks the whole model — metadata, every tensor's presence, shape and dtype, Kronecker factor
/// products, the vocabulary — and throws ``ModelSchemaError`` naming what is wrong (or `KRUFormatError` for a
/// damaged file). A model is immutable and may be shared across threads and tasks; run it through a
/// ``KRUSession``, or generate text with ``generate(prime:options:)``.
///
/// ```swift
/// let model = try KRUModel(path: "models/kjv-lstm512.kru")
/// let session = model.session()
/// try session.feed(token: model.tokenIndex(of: "T")!)
/// let logits = session.outputValues()  // one logit per character of the vocabulary
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
    /// The readout packed for single-stream steps that skip zero inputs, or nil (see ``ColumnPackedMatrix``).
    let packedReadout: ColumnPackedMatrix?
    /// The first layer's input projection for every token, or nil (vector models, very large vocabularies).
    let inputTable: InputTable?
    /// A hash of every weight: saved session states carry it, so a state is never restored into another model of
    /// the same shape (see `WeightFingerprint`).
    let fingerprint: UInt64
    private let tokenIndices: [Unicode.Scalar: Int]

    /// Loads the model at `path`.
    public convenience init(path: String) throws {
        try self.init(file: KRUFile(path: path))
    }

    /// Loads the model at a file URL.
    /// - Throws: ``ModelInputError`` for a URL that is not a file URL, `KRUFormatError` for a file that cannot be
    ///   read or is damaged, ``ModelSchemaError`` for a valid container that is not a valid model.
    public convenience init(contentsOf url: URL) throws {
        guard url.isFileURL else { throw ModelInputError("\(url) is not a file URL") }
        try self.init(path: url.path)
    }

    /// Loads a model from an open `.kru` file.
    public init(file: KRUFile) throws {
        var loader = WeightLoader(file: file)
        let embeddingWidth = try file.tensorInfo(named: ModelTensorName.embedding).map { info -> Int in
            guard info.shape.count == 2 else {
                throw ModelSchemaError("tensor input.embedding must be a matrix, has shape \(info.shape)")
            }
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
        // A tied readout's weight is the embedding, stored once (spec/MODEL.md §5).
        readout = try description.tiedReadout ? embedding!
            : loader.matrix(ModelTensorName.readoutWeight, rows: description.outputWidth, columns: width)
        readoutBias = try loader.real(ModelTensorName.readoutBias, shape: [description.outputWidth])
        packedReadout = ColumnPackedMatrix(readout: readout, below: description.layers.last!)
        try loader.checkNothingUnused()
        self.description = description
        self.metadata = file.metadata
        let characters = description.vocabulary?.characters ?? []
        tokenIndices = Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($1, $0) })
        fingerprint = WeightFingerprint.of(embedding: embedding, layers: layers, readout: readout, bias: readoutBias)
        let (firstLayer, embeddingMatrix) = (layers[0], embedding)
        inputTable = description.vocabulary.flatMap {
            InputTable(layer: firstLayer, embedding: embeddingMatrix, vocabularySize: $0.count)
        }
    }

    /// The token id of `scalar`, or nil if it is not in the vocabulary (or this is not a character model).
    public func tokenIndex(of scalar: Unicode.Scalar) -> Int? { tokenIndices[scalar] }

    /// The value of metadata key `key` (`general.name`, `kru.train.steps`, …), or nil if the file has none.
    public func metadata(_ key: String) -> KRUMetadataValue? {
        metadata.first { $0.key == key }?.value
    }

    /// The model's name (`general.name`), if the file gives one.
    public var name: String? {
        if case .string(let value) = metadata("general.name") { value } else { nil }
    }

    /// What the file says the model is (`general.description`), if it says.
    public var summary: String? {
        if case .string(let value) = metadata("general.description") { value } else { nil }
    }

    /// A new session of `batchSize` streams (default one), starting from the zero state.
    ///
    /// With `threads` > 1 the session shares each step's large dense products (a dense recurrent or input matrix,
    /// or the readout of a large batch) between that many threads, the caller's included, by rows; the results
    /// are the same floats as with one thread. It pays for large dense models sampled one token at a time (a
    /// dense LSTM-512's 2048 × 512 gate matrix); a model without such a product keeps one thread
    /// (``KRUSession/threadCount``), as does a thread count below 2. Where other processes hold the cores, sharing
    /// is slower than working alone; the session then works alone, and checks again every thousand products.
    /// - Precondition: `batchSize ≥ 1`.
    public func session(batchSize: Int = 1, threads: Int = 1) -> KRUSession {
        KRUSession(model: self, batchSize: batchSize, variant: .widest, threads: threads)
    }

    /// A session whose kernels run `variant` (tests compare the variants; `adaptiveThreads` false makes a team
    /// share every product).
    func session(batchSize: Int, variant: KernelVariant, threads: Int = 1, adaptiveThreads: Bool = true) -> KRUSession {
        KRUSession(model: self, batchSize: batchSize, variant: variant, threads: threads,
                   adaptiveThreads: adaptiveThreads)
    }

    /// Multiply-adds of the largest dense product in a step of `batchSize` streams (the input and recurrent
    /// matrices of each layer, the readout): what decides whether sharing a step between threads pays.
    func largestDenseProduct(batchSize: Int) -> Int {
        let layerProducts = layers.flatMap { [$0.inputMultiplyAdds, $0.recurrence.denseMultiplyAdds] }
        return batchSize * (layerProducts + [readout.rows * readout.columns]).max()!
    }

    /// Recurrent parameters (real numbers) stored by the layers: what Kronecker factorization shrinks.
    public var recurrentParameterCount: Int { storedParameters.recurrent }

    /// Every parameter (real numbers) of the model.
    public var parameterCount: Int { storedParameters.total }
}
