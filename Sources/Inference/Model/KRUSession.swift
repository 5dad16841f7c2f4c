/// One stream through a ``KRUModel``: holds the recurrent state and the scratch a step needs, so feeding
/// a step allocates nothing. Not thread-safe: use one session per stream (sessions share the model).
public final class KRUSession {
    public let model: KRUModel
    /// Per layer: [Re h; Im h] for kru, h for RNN/GRU, [h; c] for LSTM.
    private var states: [UnsafeMutableBufferPointer<Float>]
    private let scratch: StepScratch
    private let outputs: UnsafeMutableBufferPointer<Float>  // the head's logits (K)
    private let embedded: UnsafeMutableBufferPointer<Float>?  // the embedding row of the current token
    /// Steps fed since the last reset.
    public private(set) var stepCount = 0

    init(model: KRUModel) {
        self.model = model
        states = model.description.layers.map { layer in
            let size = layer.cell == .lstm ? 2 * layer.hiddenSize : layer.outputSize
            return .allocateZeroed(size)
        }
        let widest = model.description.layers.map { $0.cell.gateCount * $0.hiddenSize }.max()!
        let hiddenMax = model.description.layers.map(\.hiddenSize).max()!
        let scratchPerVector = model.layers.flatMap(\.recurrentBlocks).map(\.scratchElements).max() ?? 0
        // The workspace can only fail for sizes the loader's limits already exclude.
        let workspace = try! KroneckerWorkspace(maxBatchSize: 1, scratchElementsPerVector: scratchPerVector, isComplex: true)
        scratch = StepScratch(fromInput: .allocateZeroed(widest), fromState: .allocateZeroed(widest),
                              termReal: .allocateZeroed(hiddenMax), termImaginary: .allocateZeroed(hiddenMax),
                              workspace: workspace)
        outputs = .allocateZeroed(model.description.outputWidth)
        embedded = model.embedding.map { .allocateZeroed($0.columns) }
    }

    deinit {
        states.forEach { $0.deallocate() }
        [scratch.fromInput, scratch.fromState, scratch.termReal, scratch.termImaginary, outputs].forEach { $0.deallocate() }
        embedded?.deallocate()
    }

    /// Returns to the zero state.
    public func reset() {
        for state in states { state.update(repeating: 0) }
        outputs.update(repeating: 0)
        stepCount = 0
    }

    /// Feeds token `token` (an index into the vocabulary) and computes the outputs.
    /// - Precondition: this is a token model and `0 <= token < vocabulary size`.
    public func feed(token: Int) {
        guard let vocabulary = model.description.vocabulary else { preconditionFailure("feed(token:) on a vector model") }
        precondition(token >= 0 && token < vocabulary.count, "token \(token) is outside the vocabulary")
        if let embedding = model.embedding, let embedded {
            for c in 0..<embedding.columns { embedded[c] = embedding.values[token * embedding.columns + c] }
            run(.vector(UnsafeBufferPointer(embedded)))
        } else {
            run(.oneHot(token))
        }
    }

    /// Feeds one input vector of the model's input width and computes the outputs.
    public func feed(vector: [Float]) {
        guard case .vectors(let width) = model.description.input else { preconditionFailure("feed(vector:) on a token model") }
        precondition(vector.count == width, "input vector has \(vector.count) values; the model takes \(width)")
        vector.withUnsafeBufferPointer { run(.vector($0)) }
    }

    /// The head's outputs after the last step: logits for categorical and Bernoulli heads, predictions for
    /// regression. Calls `body` with the session's own buffer (valid only inside `body`), allocating nothing.
    public func withOutputs<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(outputs))
    }

    /// A copy of the head's outputs after the last step.
    public func outputValues() -> [Float] { Array(outputs) }

    /// A copy of the recurrent state, to return to later with ``restore(_:)`` (e.g. to branch a sample).
    public func snapshot() -> KRUSessionState {
        KRUSessionState(layers: states.map { Array($0) }, outputs: Array(outputs), stepCount: stepCount)
    }

    /// Returns to a state taken from a session of the same model.
    public func restore(_ state: KRUSessionState) {
        precondition(state.layers.map(\.count) == states.map(\.count), "state belongs to a different model")
        for (buffer, values) in zip(states, state.layers) { _ = buffer.update(fromContentsOf: values) }
        _ = outputs.update(fromContentsOf: state.outputs)
        stepCount = state.stepCount
    }

    /// The hidden state h of layer `layer` after the last step (real and imaginary halves for kru layers).
    public func hiddenState(layer: Int) -> [Float] {
        let description = model.description.layers[layer]
        return Array(states[layer].prefix(description.outputSize))
    }

    /// The LSTM cell state c of layer `layer`, or nil for other cells.
    public func cellState(layer: Int) -> [Float]? {
        let description = model.description.layers[layer]
        guard description.cell == .lstm else { return nil }
        return Array(states[layer].suffix(description.hiddenSize))
    }

    private func run(_ input: LayerInput) {
        var x = input
        for (l, weights) in model.layers.enumerated() {
            let state = states[l]
            switch weights {
            case .kru(let w):
                w.step(x, state: state, scratch: scratch)
            case .real(let w):
                let n = w.hiddenSize
                w.step(x, hidden: UnsafeMutableBufferPointer(rebasing: state[0..<n]),
                       cell: UnsafeMutableBufferPointer(rebasing: state[n..<state.count]), scratch: scratch)
            }
            x = .vector(UnsafeBufferPointer(rebasing: state[0..<model.description.layers[l].outputSize]))
        }
        guard case .vector(let top) = x else { return }
        for k in 0..<outputs.count { outputs[k] = model.readoutBias[k] }
        model.readout.multiplyAdd(top, into: outputs)
        stepCount += 1
    }
}

/// A saved recurrent state of a ``KRUSession``.
public struct KRUSessionState: Sendable, Equatable {
    let layers: [[Float]]
    let outputs: [Float]
    let stepCount: Int
}

extension UnsafeMutableBufferPointer where Element == Float {
    static func allocateZeroed(_ count: Int) -> Self {
        let buffer = Self.allocate(capacity: Swift.max(count, 1))
        buffer.initialize(repeating: 0)
        return Self(rebasing: buffer[0..<count])
    }
}
