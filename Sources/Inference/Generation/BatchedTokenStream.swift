/// Several samples at once: `count` streams of one batched session, all primed with the same tokens, each drawing
/// with its own generator seeded `options.seed + i` (wrapping). Every step runs the model's products on all streams
/// together, and since a stream's arithmetic does not depend on its batch, stream i produces exactly the tokens of
/// a single ``TokenStream`` with seed `options.seed + i`.
public struct BatchedTokenStream: Sequence, IteratorProtocol {
    private let session: KRUSession
    private var drawers: [TokenDrawer]
    private var remaining: Int?
    private var tokens: [Int]

    /// `threads` share each step's large dense products (``KRUModel/session(batchSize:threads:)``); the tokens do
    /// not depend on it.
    /// - Throws: ``GenerationError`` for invalid options, a model without text output or `count` < 1,
    ///   ``ModelInputError`` for a prime token outside the vocabulary.
    public init(model: KRUModel, prime: [Int], options: GenerationOptions, count: Int, threads: Int = 1) throws {
        try options.validate()
        let vocabularySize = try model.textVocabularySize()
        guard count >= 1 else { throw ModelInputError("the number of samples must be at least 1, not \(count)") }
        session = model.session(batchSize: count, threads: threads)
        drawers = (0..<count).map { i in
            var seeded = options
            seeded.seed = options.seed &+ UInt64(i)
            return TokenDrawer(vocabularySize: vocabularySize, options: seeded)
        }
        remaining = options.length
        tokens = [Int](repeating: 0, count: count)
        for token in prime { try session.feed(tokens: [Int](repeating: token, count: count)) }
    }

    /// The next token of every stream, or nil once `length` tokens have been generated.
    public mutating func next() -> [Int]? {
        if let left = remaining {
            guard left > 0 else { return nil }
            remaining = left - 1
        }
        for i in drawers.indices { tokens[i] = drawers[i].draw(from: session, stream: i) }
        try! session.feed(tokens: tokens)  // sampled tokens are always inside the vocabulary
        return tokens
    }
}
