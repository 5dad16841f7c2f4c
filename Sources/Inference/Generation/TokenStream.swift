/// Settings for generating tokens from a token model (spec/SAMPLING.md defines the arithmetic).
public struct GenerationOptions: Sendable {
    /// Tokens to generate after the prime.
    public var length: Int
    /// Softmax temperature; 0 (or less) picks the most probable token every time.
    public var temperature: Double
    /// Keep only the k most probable tokens; 0 = all.
    public var topK: Int
    /// Keep the smallest set of most probable tokens whose mass reaches p; 1 = all.
    public var topP: Double
    /// The seed of the ``KRURandom`` stream: the same seed, model and settings give the same text everywhere.
    public var seed: UInt64

    public init(length: Int = 500, temperature: Double = 1, topK: Int = 0, topP: Double = 1, seed: UInt64) {
        self.length = length
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }
}

/// Generated token ids, one per `next()`: feeds the prime, then repeatedly samples from the model's output
/// and feeds the sample back. Each step allocates nothing.
public struct TokenStream: Sequence, IteratorProtocol {
    private let session: KRUSession
    private var sampler: TokenSampler
    private var random: KRURandom
    private var remaining: Int
    private var primed: Bool

    /// - Parameter prime: token ids to condition on; with none, the first token is drawn uniformly (as
    ///   char-rnn does), since the zero state has seen nothing to predict from.
    public init(model: KRUModel, prime: [Int], options: GenerationOptions) {
        precondition(model.description.vocabulary != nil && model.description.outputKind == .categorical,
                     "generation needs a categorical token model")
        session = model.session()
        sampler = TokenSampler(vocabularySize: model.description.outputWidth, temperature: options.temperature,
                               topK: options.topK, topP: options.topP)
        random = KRURandom(seed: options.seed)
        remaining = options.length
        for token in prime { session.feed(token: token) }
        primed = !prime.isEmpty
    }

    public mutating func next() -> Int? {
        guard remaining > 0 else { return nil }
        remaining -= 1
        let token: Int
        if primed {
            token = session.withOutputs { sampler.sample(logits: $0, using: &random) }
        } else {
            token = random.nextIndex(below: sampler.vocabularySize)
            primed = true
        }
        session.feed(token: token)
        return token
    }
}

extension KRUModel {
    /// Generated text as an asynchronous sequence of characters (one Unicode scalar each), for apps:
    ///
    /// ```swift
    /// for await character in model.generate(prime: "the", options: .init(length: 200, seed: 7)) {
    ///     print(character, terminator: "")
    /// }
    /// ```
    /// Stops early when the consuming task is cancelled.
    /// - Throws: ``UnknownCharactersError`` if the prime has characters outside the vocabulary.
    public func generate(prime: String, options: GenerationOptions) throws -> AsyncStream<String> {
        guard let tokenizer else { preconditionFailure("generation needs a token model") }
        let primeTokens = try tokenizer.encode(prime)
        return AsyncStream { continuation in
            let task = Task {
                var stream = TokenStream(model: self, prime: primeTokens, options: options)
                while !Task.isCancelled, let token = stream.next() {
                    continuation.yield(String(tokenizer.vocabulary[token]))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
