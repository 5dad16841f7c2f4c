/// Generates text from a ``GenerationSession`` one token at a time, synchronously: each `next()` draws a token
/// (spec/SAMPLING.md), feeds it back, and returns it with its text and log-probability, holding back tokens that
/// may start a stop sequence until it is clear whether they do. ``TextGeneration`` is the asynchronous form.
///
/// The session advances with every token drawn, stop sequences included, so after the generator ends it can be
/// continued from exactly where generation stopped.
public struct TextGenerator: Sequence, IteratorProtocol {
    public let session: GenerationSession
    private var drawer: TokenDrawer
    private var remaining: Int?
    private let stops: [[Unicode.Scalar]]
    /// Drawn tokens not yet returned: held back as a possible start of a stop sequence, or released and queued.
    private var pending: [GeneratedToken] = []
    private var held = 0  // the last `held` entries of `pending` are held back
    private var finished = false
    private let scratch: UnsafeMutableBufferPointer<Double>
    private let storage: ScratchOwner

    init(session: GenerationSession, options: GenerationOptions) throws(GenerationError) {
        try options.validate()
        let vocabularySize = try session.model.textVocabularySize()
        self.session = session
        drawer = TokenDrawer(vocabularySize: vocabularySize, options: options)
        remaining = options.length
        stops = options.stop.map { Array($0.unicodeScalars) }
        storage = ScratchOwner(count: vocabularySize)
        scratch = storage.buffer
        pending.reserveCapacity(1 + (stops.map(\.count).max() ?? 0))
    }

    public mutating func next() -> GeneratedToken? {
        while true {
            if pending.count > held { return pending.removeFirst() }
            if finished { return nil }
            step()
        }
    }

    /// Draws one token and decides what of the pending text can be released.
    private mutating func step() {
        if let left = remaining {
            guard left > 0 else {
                finish(.length)
                return
            }
            remaining = left - 1
        }
        let kru = session.kruSession
        let id = drawer.draw(from: kru)
        let logProbability = kru.withOutputs {
            KRUInference.logProbability(of: id, logits: $0, scratch: scratch, variant: kru.variant)
        }
        try! kru.feed(token: id)  // a sampled token is always inside the vocabulary
        let scalar = session.tokenizer.vocabulary[id]
        pending.append(GeneratedToken(id: id, text: String(scalar), logProbability: logProbability, finishReason: nil))
        held += 1
        guard !stops.isEmpty else {
            held = 0
            if remaining == 0 { finish(.length) }
            return
        }
        let tail = pending.suffix(held).map { $0.text.unicodeScalars.first! }
        if let stop = stops.first(where: { tail.count >= $0.count && Array(tail.suffix($0.count)) == $0 }) {
            // Release what precedes the stop sequence; the token that completed it ends the generation, empty.
            pending.removeLast(stop.count)
            held = 0
            pending.append(GeneratedToken(id: id, text: "", logProbability: logProbability,
                                          finishReason: .stop(String(String.UnicodeScalarView(stop)))))
            finished = true
            return
        }
        // Keep held only the longest end of the text that is still the start of a stop sequence.
        held = (0...Swift.min(held, stops.map(\.count).max() ?? 0)).last { k in
            k == 0 || stops.contains { $0.count > k && Array($0.prefix(k)) == Array(tail.suffix(k)) }
        } ?? 0
        if remaining == 0 { finish(.length) }
    }

    /// Releases everything held and marks the last element with `reason`.
    private mutating func finish(_ reason: FinishReason) {
        held = 0
        finished = true
        guard let last = pending.popLast() else { return }
        pending.append(GeneratedToken(id: last.id, text: last.text, logProbability: last.logProbability,
                                      finishReason: reason))
    }
}

/// Owns a generator's scratch buffer (a struct cannot free memory when it goes away; this class can).
final class ScratchOwner {
    let buffer: UnsafeMutableBufferPointer<Double>
    init(count: Int) {
        buffer = .allocate(capacity: max(count, 1))
        buffer.initialize(repeating: 0)
    }
    deinit { buffer.deallocate() }
}
