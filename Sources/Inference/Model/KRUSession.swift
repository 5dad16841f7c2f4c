/// One stream — or a batch of streams that advance together — through a ``KRUModel``. It holds the recurrent
/// state and all scratch a step needs, so feeding a step allocates nothing. Not thread-safe: use one session
/// per thread or task (sessions share the immutable model).
///
/// Batched sessions keep `batchSize` independent states and run every product on all of them at once; stream b's
/// values sit at `b × width ..< (b + 1) × width` in every buffer this API hands out. A stream's results do not
/// depend on the batch it runs in: the kernels sum every output in a fixed order (docs/ENGINE.md), so a stream of
/// a batched session computes the same floats as a single-stream session fed the same tokens.
///
/// A recurrent model's whole context is its state, so ``snapshot()`` and ``restore(_:)`` are its prompt cache:
/// prime once, then branch as often as needed. Per-stream versions let a server move conversations in and out
/// of the slots of one batched session.
public final class KRUSession {
    public let model: KRUModel
    /// The number of streams advanced by each step.
    public let batchSize: Int
    /// Steps fed since the session was made or last reset as a whole.
    public private(set) var stepCount = 0
    /// The threads that share each step's large dense products: 1 unless the session was made with more and the
    /// model has a product large enough to share (``KRUModel/session(batchSize:threads:)``).
    public let threadCount: Int

    let variant: KernelVariant
    let layers: [LayerBuffers]
    private let scratch: StepScratch
    let outputs: UnsafeMutableBufferPointer<Float>  // batch × K: the head's logits
    private let embedded: UnsafeMutablePointer<Float>  // batch × E: embedding rows, when there is no input table
    private let tokens: UnsafeMutablePointer<Int>  // batch: the current tokens
    private let inputRows: UnsafeMutablePointer<UnsafePointer<Float>>  // batch: rows of the input projection

    /// `adaptiveThreads`: see ``WorkerTeam/init(threads:adaptive:)``.
    init(model: KRUModel, batchSize: Int, variant: KernelVariant, threads: Int = 1, adaptiveThreads: Bool = true) {
        precondition(batchSize >= 1, "a session needs at least one stream")
        self.model = model
        self.batchSize = batchSize
        self.variant = variant
        layers = model.description.layers.map { LayerBuffers(layer: $0, batch: batchSize) }
        let widest = model.description.layers.map { $0.cell.gateCount * $0.hiddenSize }.max()!
        let hiddenMax = model.description.layers.map(\.hiddenSize).max()!
        let scratchPerVector = model.layers.map(\.recurrence.scratchElements).max() ?? 0
        // The workspace can only fail for sizes the loader's limits already exclude.
        let workspace = try! KroneckerWorkspace(maxBatchSize: batchSize, scratchElementsPerVector: scratchPerVector,
                                                isComplex: true)
        let team = WorkerTeam.shares(multiplyAdds: model.largestDenseProduct(batchSize: batchSize))
            ? WorkerTeam(threads: threads, adaptive: adaptiveThreads) : nil
        threadCount = team?.threadCount ?? 1
        scratch = StepScratch(
            fromInput: .allocateZeroed(batchSize * widest), fromState: .allocateZeroed(batchSize * widest),
            first: .allocateZeroed(batchSize * hiddenMax), second: .allocateZeroed(batchSize * hiddenMax),
            workspace: workspace, inputGateRows: .allocate(capacity: batchSize), team: team)
        outputs = UnsafeMutableBufferPointer(start: .allocateZeroed(batchSize * model.description.outputWidth),
                                             count: batchSize * model.description.outputWidth)
        embedded = .allocateZeroed(batchSize * (model.embedding?.columns ?? 0))
        tokens = .allocate(capacity: batchSize)
        tokens.initialize(repeating: 0, count: batchSize)
        inputRows = .allocate(capacity: batchSize)
        inputRows.initialize(repeating: UnsafePointer(embedded), count: batchSize)
    }

    deinit {
        layers.forEach { $0.deallocate() }
        let buffers = [scratch.fromInput, scratch.fromState, scratch.first, scratch.second, outputs.baseAddress!,
                       embedded]
        buffers.forEach { $0.deallocate() }
        tokens.deallocate()
        inputRows.deallocate()
        scratch.inputGateRows.deallocate()
    }

    /// Returns every stream to the zero state.
    public func reset() {
        layers.forEach { $0.zero() }
        outputs.update(repeating: 0)
        stepCount = 0
    }

    /// Feeds token `token` (a vocabulary index) to a single-stream session and computes the outputs.
    /// - Throws: ``ModelInputError`` for a vector model, a batched session or a token outside the vocabulary.
    public func feed(token: Int) throws(ModelInputError) {
        guard batchSize == 1 else {
            throw ModelInputError("feed(token:) is for single-stream sessions; this one has \(batchSize) streams")
        }
        try feedTokens(CollectionOfOne(token))
    }

    /// Feeds one token per stream (`batchSize` of them) and computes the outputs.
    /// - Throws: ``ModelInputError`` for a vector model, the wrong number of tokens or one outside the vocabulary.
    public func feed(tokens: [Int]) throws(ModelInputError) {
        guard tokens.count == batchSize else {
            throw ModelInputError("\(tokens.count) tokens for \(batchSize) streams")
        }
        try feedTokens(tokens)
    }

    /// Feeds one token to each of the first `tokens.count` streams (1 … `batchSize` of them) and computes their
    /// outputs; the other streams keep their state and outputs. Every stream's result is the one a session of just
    /// those streams gives, bit for bit. A server keeps one session as large as its batch may grow and runs only the
    /// slots in use, so a sequence that joins or leaves moves no other sequence's state between sessions.
    /// - Throws: ``ModelInputError`` for a vector model, no tokens or more than `batchSize`, or a token outside the
    ///   vocabulary.
    public func feed(leadingStreams tokens: [Int]) throws(ModelInputError) {
        guard (1...batchSize).contains(tokens.count) else {
            throw ModelInputError("\(tokens.count) tokens for the leading streams of \(batchSize)")
        }
        try feedTokens(tokens)
    }

    /// Feeds one input vector to a single-stream vector model and computes the outputs.
    /// - Throws: ``ModelInputError`` for a token model, a batched session or a vector of the wrong width.
    public func feed(vector: [Float]) throws(ModelInputError) {
        guard batchSize == 1 else {
            throw ModelInputError("feed(vector:) is for single-stream sessions; this one has \(batchSize) streams")
        }
        try feed(vectors: vector)
    }

    /// Feeds one input vector per stream, concatenated (`batchSize × width` values), and computes the outputs.
    /// - Throws: ``ModelInputError`` for a token model or the wrong number of values.
    public func feed(vectors: [Float]) throws(ModelInputError) {
        guard case .vectors(let width) = model.description.input else {
            throw ModelInputError("this model takes tokens, not vectors")
        }
        guard vectors.count == batchSize * width else {
            throw ModelInputError(
                "\(vectors.count) values; \(batchSize) streams of width \(width) need \(batchSize * width)")
        }
        vectors.withUnsafeBufferPointer { run(.vectors($0.baseAddress!, width: width), streams: batchSize) }
    }

    /// The head's outputs after the last step (`batchSize × K`): logits for categorical and Bernoulli heads,
    /// predictions for regression. `body` gets the session's own buffer, valid only inside it; nothing is
    /// allocated.
    public func withOutputs<R, E: Error>(_ body: (UnsafeBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(outputs))
    }

    /// A copy of the head's outputs after the last step (`batchSize × K`).
    public func outputValues() -> [Float] { Array(outputs) }

    /// A copy of the recurrent state of every stream, to return to with ``restore(_:)`` (e.g. to branch).
    public func snapshot() -> KRUSessionState {
        KRUSessionState(batchSize: batchSize, layers: layers.map { $0.copy() }, outputs: Array(outputs),
                        stepCount: stepCount, fingerprint: model.fingerprint)
    }

    /// A single-stream copy of stream `stream`'s state (for moving a conversation out of a batched session).
    /// - Throws: ``ModelInputError`` if there is no such stream.
    public func snapshot(stream: Int) throws(ModelInputError) -> KRUSessionState {
        try checkStream(stream)
        let k = model.description.outputWidth
        return KRUSessionState(batchSize: 1, layers: layers.map { $0.copy(stream: stream) },
                               outputs: Array(outputs[stream * k..<(stream + 1) * k]), stepCount: stepCount,
                               fingerprint: model.fingerprint)
    }

    /// Returns to a state taken from a session of the same model and batch size.
    /// - Throws: ``ModelInputError`` if the state belongs to another model or batch size.
    public func restore(_ state: KRUSessionState) throws(ModelInputError) {
        try check(state, batchSize: batchSize)
        for (buffers, saved) in zip(layers, state.layers) { buffers.restore(saved) }
        _ = outputs.update(fromContentsOf: state.outputs)
        stepCount = state.stepCount
    }

    /// Puts a single-stream state (of the same model) into stream `stream`; the other streams are unchanged.
    /// - Throws: ``ModelInputError`` if there is no such stream or the state is not a single-stream state of
    ///   this model.
    public func restore(_ state: KRUSessionState, stream: Int) throws(ModelInputError) {
        try checkStream(stream)
        try check(state, batchSize: 1)
        for (buffers, saved) in zip(layers, state.layers) { buffers.restore(saved, stream: stream) }
        let k = model.description.outputWidth
        (outputs.baseAddress! + stream * k).update(from: state.outputs, count: k)
    }

    /// The hidden state of stream `stream` in layer `layer` after the last step: h, or [Re h; Im h] for kru.
    public func hiddenState(layer: Int, stream: Int = 0) -> [Float] {
        let width = model.description.layers[layer].outputSize
        return Array(UnsafeBufferPointer(start: layers[layer].output + stream * width, count: width))
    }

    /// The LSTM cell state c of stream `stream` in layer `layer`, or nil for other cells.
    public func cellState(layer: Int, stream: Int = 0) -> [Float]? {
        let description = model.description.layers[layer]
        guard description.cell == .lstm else { return nil }
        let n = description.hiddenSize
        return Array(UnsafeBufferPointer(start: layers[layer].second + stream * n, count: n))
    }

    private func checkStream(_ stream: Int) throws(ModelInputError) {
        guard (0..<batchSize).contains(stream) else {
            throw ModelInputError("stream \(stream) does not exist; the session has streams 0 ..< \(batchSize)")
        }
    }

    private func check(_ state: KRUSessionState, batchSize expected: Int) throws(ModelInputError) {
        guard state.fingerprint == model.fingerprint, state.layers.count == layers.count,
              zip(state.layers, layers).allSatisfy({ $0.map(\.count) == $1.planeSizes(batch: state.batchSize) })
        else { throw ModelInputError("the state belongs to a different model") }
        guard state.batchSize == expected else {
            throw ModelInputError("the state holds \(state.batchSize) streams; \(expected) expected")
        }
    }

    private func feedTokens<C: Collection>(_ ids: C) throws(ModelInputError) where C.Element == Int {
        guard let vocabulary = model.description.vocabulary else {
            throw ModelInputError("this model takes vectors, not tokens")
        }
        for (b, token) in ids.enumerated() {
            guard token >= 0 && token < vocabulary.count else {
                throw ModelInputError("token id \(token) is outside the vocabulary (0 ..< \(vocabulary.count))")
            }
            tokens[b] = token
        }
        let streams = ids.count
        if let table = model.inputTable {
            for b in 0..<streams { inputRows[b] = table.row(tokens[b]) }
            run(.projected(inputRows), streams: streams)
        } else if let embedding = model.embedding {
            let width = embedding.columns
            embedding.values.withUnsafeBufferPointer { rows in
                for b in 0..<streams {
                    (embedded + b * width).update(from: rows.baseAddress! + tokens[b] * width, count: width)
                }
            }
            run(.vectors(embedded, width: width), streams: streams)
        } else {
            run(.oneHot(tokens), streams: streams)
        }
    }

    /// One step of the first `streams` streams (every stream's buffers are slices of a fixed stride, so a prefix of
    /// the batch is a batch of its own).
    private func run(_ input: LayerInput, streams: Int) {
        var x = input
        // Through a buffer pointer, whose elements are used in place: an array's subscript would copy the layer's
        // weights, retaining each of their arrays every step.
        model.layers.withUnsafeBufferPointer { weights in
            for l in 0..<layers.count {
                let buffers = layers[l]
                weights[l].step(x, batch: streams, buffers: buffers, scratch: scratch, variant: variant)
                x = .vectors(buffers.output, width: buffers.outputWidth)
            }
        }
        guard case .vectors(let top, let width) = x else { return }
        let k = model.description.outputWidth
        let out = outputs.baseAddress!
        model.readoutBias.withUnsafeBufferPointer {
            out.fill(from: $0.baseAddress!, count: k, streams: streams, stride: k)
        }
        if streams == 1, let packed = model.packedReadout {
            packed.multiply(top, into: out, accumulate: true, variant: variant)
        } else {
            model.readout.multiply(top, xStride: width, batch: streams, into: out, yStride: k, accumulate: true,
                                   variant: variant, team: scratch.team)
        }
        stepCount += 1
    }
}

/// A saved recurrent state of a ``KRUSession``: every stream's state and last outputs. It can be restored into a
/// session of the same model (``KRUSession/restore(_:)``), written to a file and read back
/// (``write(toPath:)``, ``init(path:model:)``).
public struct KRUSessionState: Sendable, Equatable {
    /// The number of streams the state holds.
    public let batchSize: Int
    let layers: [[[Float]]]
    let outputs: [Float]
    /// Steps the session had been fed when the state was taken.
    public let stepCount: Int
    /// Identifies the model the state belongs to (``KRUModel/fingerprint``).
    let fingerprint: UInt64

    /// The floats the state holds (every stream's recurrent state and outputs): what keeping it costs in memory.
    public var valueCount: Int { layers.joined().reduce(outputs.count) { $0 + $1.count } }
}

/// The state buffers of one layer for a batch: kru keeps h in split planes (`first` = Re, `second` = Im) and
/// gathers [Re h; Im h] per stream into `output`; real cells keep h in `first` (which is also the output) and
/// LSTM's c in `second`.
struct LayerBuffers {
    let first: UnsafeMutablePointer<Float>
    let second: UnsafeMutablePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let outputWidth: Int
    /// Floats per stream of each owned plane, in the order of ``copy()``.
    private let widths: [Int]
    private let batch: Int

    init(layer: ModelDescription.Layer, batch: Int) {
        let n = layer.hiddenSize
        let hasSecond = layer.cell == .kru || layer.cell == .lstm
        first = .allocateZeroed(batch * n)
        second = .allocateZeroed(hasSecond ? batch * n : 0)
        output = layer.cell == .kru ? .allocateZeroed(batch * 2 * n) : first
        outputWidth = layer.outputSize
        widths = layer.cell == .kru ? [n, n, 2 * n] : hasSecond ? [n, n] : [n]
        planes = Array([first, second, output].prefix(widths.count))
        self.batch = batch
    }

    /// The owned planes, in the order of `widths` (stored, so iterating them allocates nothing).
    private let planes: [UnsafeMutablePointer<Float>]

    func planeSizes(batch: Int) -> [Int] { widths.map { $0 * batch } }

    func zero() {
        for (plane, width) in zip(planes, widths) { plane.update(repeating: 0, count: batch * width) }
    }

    func zero(stream b: Int) {
        for (plane, width) in zip(planes, widths) { (plane + b * width).update(repeating: 0, count: width) }
    }

    /// Copies stream `source` of `other` (the same layer in another batch) into stream `destination`.
    func copy(stream source: Int, of other: LayerBuffers, to destination: Int) {
        for (width, (target, origin)) in zip(widths, zip(planes, other.planes)) {
            (target + destination * width).update(from: origin + source * width, count: width)
        }
    }

    func copy() -> [[Float]] { zip(planes, widths).map { Array(UnsafeBufferPointer(start: $0, count: batch * $1)) } }

    func copy(stream b: Int) -> [[Float]] {
        zip(planes, widths).map { Array(UnsafeBufferPointer(start: $0 + b * $1, count: $1)) }
    }

    func restore(_ saved: [[Float]]) {
        for (plane, values) in zip(planes, saved) { plane.update(from: values, count: values.count) }
    }

    func restore(_ saved: [[Float]], stream b: Int) {
        for ((plane, width), values) in zip(zip(planes, widths), saved) {
            (plane + b * width).update(from: values, count: width)
        }
    }
    func deallocate() { planes.forEach { $0.deallocate() } }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// A zero-filled buffer of `count` floats (at least one element is allocated, so it can always be freed).
    static func allocateZeroed(_ count: Int) -> Self {
        let buffer = Self.allocate(capacity: Swift.max(count, 1))
        buffer.initialize(repeating: 0, count: Swift.max(count, 1))
        return buffer
    }
}
