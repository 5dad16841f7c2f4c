/// One stream — or a batch of streams that advance together — through a ``KRUModel``. It holds the recurrent
/// state and all scratch a step needs, so feeding a step allocates nothing. Not thread-safe: use one session
/// per thread (sessions share the immutable model).
///
/// Batched sessions keep `batchSize` independent states and run the Kronecker kernels on all of them at once;
/// stream b's values sit at `b × width ..< (b + 1) × width` in every buffer this API hands out.
public final class KRUSession {
    public let model: KRUModel
    /// The number of streams advanced by each step.
    public let batchSize: Int
    /// Steps fed since the last reset.
    public private(set) var stepCount = 0

    let layers: [LayerBuffers]
    private let scratch: StepScratch
    let outputs: UnsafeMutableBufferPointer<Float>  // batch × K: the head's logits
    private let embedded: UnsafeMutableBufferPointer<Float>?  // batch × E: the embedding rows of the current tokens
    private let tokens: UnsafeMutableBufferPointer<Int>  // batch: the current tokens

    init(model: KRUModel, batchSize: Int) {
        precondition(batchSize >= 1, "a session needs at least one stream")
        self.model = model
        self.batchSize = batchSize
        layers = model.description.layers.map { LayerBuffers(layer: $0, batch: batchSize) }
        let widest = model.description.layers.map { $0.cell.gateCount * $0.hiddenSize }.max()!
        let hiddenMax = model.description.layers.map(\.hiddenSize).max()!
        let scratchPerVector = model.layers.flatMap(\.recurrentBlocks).map(\.scratchElements).max() ?? 0
        // The workspace can only fail for sizes the loader's limits already exclude.
        let workspace = try! KroneckerWorkspace(maxBatchSize: batchSize, scratchElementsPerVector: scratchPerVector,
                                                isComplex: true)
        scratch = StepScratch(fromInput: .allocateZeroed(batchSize * widest), fromState: .allocateZeroed(batchSize * widest),
                              termReal: .allocateZeroed(batchSize * hiddenMax),
                              termImaginary: .allocateZeroed(batchSize * hiddenMax), workspace: workspace)
        outputs = .allocateZeroed(batchSize * model.description.outputWidth)
        embedded = model.embedding.map { .allocateZeroed(batchSize * $0.columns) }
        tokens = .allocate(capacity: batchSize)
        tokens.initialize(repeating: 0)
    }

    deinit {
        layers.forEach { $0.deallocate() }
        [scratch.fromInput, scratch.fromState, scratch.termReal, scratch.termImaginary, outputs].forEach { $0.deallocate() }
        embedded?.deallocate()
        tokens.deallocate()
    }

    /// Returns every stream to the zero state.
    public func reset() {
        layers.forEach { $0.zero() }
        outputs.update(repeating: 0)
        stepCount = 0
    }

    /// Feeds token `token` (a vocabulary index) to a single-stream session and computes the outputs.
    public func feed(token: Int) {
        precondition(batchSize == 1, "feed(token:) is for single-stream sessions; use feed(tokens:)")
        feedTokens(CollectionOfOne(token))
    }

    /// Feeds one token per stream (`batchSize` of them) and computes the outputs.
    public func feed(tokens: [Int]) {
        precondition(tokens.count == batchSize, "\(tokens.count) tokens for \(batchSize) streams")
        feedTokens(tokens)
    }

    /// Feeds one input vector to a single-stream vector model and computes the outputs.
    public func feed(vector: [Float]) {
        precondition(batchSize == 1, "feed(vector:) is for single-stream sessions; use feed(vectors:)")
        feed(vectors: vector)
    }

    /// Feeds one input vector per stream, concatenated (`batchSize × width` values), and computes the outputs.
    public func feed(vectors: [Float]) {
        guard case .vectors(let width) = model.description.input else { preconditionFailure("feed(vectors:) on a token model") }
        precondition(vectors.count == batchSize * width, "\(vectors.count) values; \(batchSize) streams of width \(width) need \(batchSize * width)")
        vectors.withUnsafeBufferPointer { run(.vectors($0, width: width)) }
    }

    /// The head's outputs after the last step (`batchSize × K`): logits for categorical and Bernoulli heads,
    /// predictions for regression. `body` gets the session's own buffer, valid only inside it; nothing is
    /// allocated.
    public func withOutputs<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(outputs))
    }

    /// A copy of the head's outputs after the last step (`batchSize × K`).
    public func outputValues() -> [Float] { Array(outputs) }

    /// A copy of the recurrent state of every stream, to return to with ``restore(_:)`` (e.g. to branch).
    public func snapshot() -> KRUSessionState {
        KRUSessionState(layers: layers.map { $0.copy() }, outputs: Array(outputs), stepCount: stepCount)
    }

    /// Returns to a state taken from a session of the same model and batch size.
    public func restore(_ state: KRUSessionState) {
        precondition(state.layers.count == layers.count && state.outputs.count == outputs.count,
                     "state belongs to a different model or batch size")
        for (buffers, saved) in zip(layers, state.layers) { buffers.restore(saved) }
        _ = outputs.update(fromContentsOf: state.outputs)
        stepCount = state.stepCount
    }

    /// The hidden state of stream `stream` in layer `layer` after the last step: h, or [Re h; Im h] for kru.
    public func hiddenState(layer: Int, stream: Int = 0) -> [Float] {
        let width = model.description.layers[layer].outputSize
        return Array(layers[layer].output[stream * width..<(stream + 1) * width])
    }

    /// The LSTM cell state c of stream `stream` in layer `layer`, or nil for other cells.
    public func cellState(layer: Int, stream: Int = 0) -> [Float]? {
        let description = model.description.layers[layer]
        guard description.cell == .lstm else { return nil }
        let n = description.hiddenSize
        return Array(layers[layer].second[stream * n..<(stream + 1) * n])
    }

    private func feedTokens<C: Collection>(_ ids: C) where C.Element == Int {
        guard let vocabulary = model.description.vocabulary else { preconditionFailure("feeding tokens to a vector model") }
        for (b, token) in ids.enumerated() {
            precondition(token >= 0 && token < vocabulary.count, "token \(token) is outside the vocabulary")
            tokens[b] = token
        }
        if let embedding = model.embedding, let embedded {
            let width = embedding.columns
            embedding.values.withUnsafeBufferPointer { table in
                for b in 0..<batchSize {
                    for c in 0..<width { embedded[b * width + c] = table[tokens[b] * width + c] }
                }
            }
            run(.vectors(UnsafeBufferPointer(embedded), width: width))
        } else {
            run(.oneHot(UnsafeBufferPointer(tokens)))
        }
    }

    private func run(_ input: LayerInput) {
        var x = input
        for (weights, buffers) in zip(model.layers, layers) {
            switch weights {
            case .kru(let w):
                w.step(x, batch: batchSize, real: buffers.first, imaginary: buffers.second, output: buffers.output,
                       scratch: scratch)
            case .real(let w):
                w.step(x, batch: batchSize, hidden: buffers.first, cell: buffers.second, scratch: scratch)
            }
            x = .vectors(UnsafeBufferPointer(buffers.output), width: buffers.outputWidth)
        }
        guard case .vectors(let top, let width) = x else { return }
        let k = model.description.outputWidth
        for b in 0..<batchSize {
            for i in 0..<k { outputs[b * k + i] = model.readoutBias[i] }
        }
        LayerInput.vectors(top, width: width).multiplyAdd(model.readout, batch: batchSize, into: outputs)
        stepCount += 1
    }
}

/// A saved recurrent state of a ``KRUSession``.
public struct KRUSessionState: Sendable, Equatable {
    let layers: [[[Float]]]
    let outputs: [Float]
    let stepCount: Int
}

/// The state buffers of one layer for a batch: kru keeps h in split planes (`first` = Re, `second` = Im) and
/// gathers [Re h; Im h] per stream into `output`; real cells keep h in `first` (which is also the output) and
/// LSTM's c in `second`.
struct LayerBuffers {
    let first: UnsafeMutableBufferPointer<Float>
    let second: UnsafeMutableBufferPointer<Float>
    let output: UnsafeMutableBufferPointer<Float>
    let outputWidth: Int
    private let ownsOutput: Bool

    init(layer: ModelDescription.Layer, batch: Int) {
        let n = layer.hiddenSize
        first = .allocateZeroed(batch * n)
        second = .allocateZeroed(layer.cell == .kru || layer.cell == .lstm ? batch * n : 0)
        ownsOutput = layer.cell == .kru
        output = ownsOutput ? .allocateZeroed(batch * 2 * n) : first
        outputWidth = layer.outputSize
    }

    private var owned: [UnsafeMutableBufferPointer<Float>] { ownsOutput ? [first, second, output] : [first, second] }

    func zero() { owned.forEach { $0.update(repeating: 0) } }
    func copy() -> [[Float]] { owned.map { Array($0) } }
    func restore(_ saved: [[Float]]) { for (buffer, values) in zip(owned, saved) { _ = buffer.update(fromContentsOf: values) } }
    func deallocate() { owned.forEach { $0.deallocate() } }
}

extension UnsafeMutableBufferPointer where Element == Float {
    /// A zero-filled buffer of `count` floats (at least one element is allocated, so it can always be freed).
    static func allocateZeroed(_ count: Int) -> Self {
        let buffer = Self.allocate(capacity: Swift.max(count, 1))
        buffer.initialize(repeating: 0)
        return Self(rebasing: buffer[0..<count])
    }
}
