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
    private let maxStopLength: Int
    /// Turns drawn tokens into text (a word's space, a byte model's UTF-8).
    private var decoder: TextDecoder
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
        maxStopLength = stops.map(\.count).max() ?? 0
        decoder = TextDecoder(vocabulary: session.tokenizer.vocabulary, previous: session.lastToken)
        storage = ScratchOwner(count: vocabularySize)
        scratch = storage.buffer
        pending.reserveCapacity(1 + maxStopLength)
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
        session.lastToken = id
        let text = decoder.piece(id)
        pending.append(GeneratedToken(id: id, text: text, logProbability: logProbability, finishReason: nil))
        held += 1
        guard !stops.isEmpty else {
            held = 0
            if remaining == 0 { finish(.length) }
            return
        }
        // The held text, scalar by scalar, with the token each scalar came from (a word or a byte may give
        // several scalars or none). No stop sequence lies inside the text held before this token.
        let heldTokens = pending.indices.suffix(held)
        let tail = heldTokens.flatMap { index in pending[index].text.unicodeScalars.map { (index, $0) } }
        let scalars = tail.map(\.1)
        let found = stops.compactMap { stop in
            scalars.firstRange(of: stop).map { (start: $0.lowerBound, stop: stop) }
        }.min { $0.start < $1.start }
        if let found {
            // Release the text before the stop sequence; the token that completed it ends the generation, empty.
            let cut = tail[found.start].0  // the token in which the stop sequence starts
            let partial = pending[cut]
            let before = String(String.UnicodeScalarView(tail[..<found.start].filter { $0.0 == cut }.map(\.1)))
            pending.removeSubrange(cut...)
            if !before.isEmpty {
                pending.append(GeneratedToken(id: partial.id, text: before, logProbability: partial.logProbability,
                                              finishReason: nil))
            }
            held = 0
            pending.append(GeneratedToken(id: id, text: "", logProbability: logProbability,
                                          finishReason: .stop(String(String.UnicodeScalarView(found.stop)))))
            finished = true
            return
        }
        // Keep held only the tokens that give the longest end of the text that may still start a stop sequence.
        let longest = (0...Swift.min(scalars.count, maxStopLength)).last { k in
            k == 0 || stops.contains { $0.count > k && $0.prefix(k).elementsEqual(scalars.suffix(k)) }
        } ?? 0
        held = longest == 0 ? 0 : pending.count - tail[tail.count - longest].0
        if remaining == 0 { finish(.length) }
    }

    /// Releases everything held and marks the last element with `reason`.
    private mutating func finish(_ reason: FinishReason) {
        held = 0
        finished = true
        guard let last = pending.popLast() else { return }
        // A byte model may hold back an incomplete UTF-8 sequence; it ends the text (as U+FFFD).
        let rest = reason == .length ? decoder.finish() : ""
        pending.append(GeneratedToken(id: last.id, text: last.text + rest, logProbability: last.logProbability,
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
