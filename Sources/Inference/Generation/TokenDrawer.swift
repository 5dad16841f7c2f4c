/// Draws the next token from a session's outputs: the sampler of spec/SAMPLING.md with its generator, and the
/// char-rnn rule that a session that has seen nothing draws its first token uniformly (the zero state has nothing
/// to predict from). Shared by every generator, so they all produce the same tokens for the same seed.
struct TokenDrawer {
    var sampler: TokenSampler
    var random: KRURandom

    init(vocabularySize: Int, options: GenerationOptions) {
        sampler = TokenSampler(vocabularySize: vocabularySize, temperature: options.temperature, topK: options.topK,
                               topP: options.topP)
        random = KRURandom(seed: options.seed)
    }

    /// The next token of stream `stream` of `session` (whose outputs are its logits).
    mutating func draw(from session: KRUSession, stream: Int = 0) -> Int {
        guard session.stepCount > 0 else { return random.nextIndex(below: sampler.vocabularySize) }
        let k = sampler.vocabularySize
        return session.withOutputs { outputs in
            let logits = UnsafeBufferPointer(rebasing: outputs[stream * k..<(stream + 1) * k])
            return sampler.sample(logits: logits, using: &random)
        }
    }
}

extension KRUModel {
    /// The vocabulary size of a model that can generate text, or the error that says why it cannot.
    func textVocabularySize() throws(GenerationError) -> Int {
        guard let vocabulary = description.vocabulary, description.outputKind == .categorical,
              description.outputSteps == .every, description.outputWidth == vocabulary.count
        else { throw .notATextModel }
        return vocabulary.count
    }
}

/// Generated token ids, one per `next()`: feeds the prime, then repeatedly samples from the model's output
/// and feeds the sample back. Each step allocates nothing. (``TextGenerator`` adds text, log-probabilities and
/// stop sequences.)
public struct TokenStream: Sequence, IteratorProtocol {
    private let session: KRUSession
    private var drawer: TokenDrawer
    private var remaining: Int?

    /// - Parameters:
    ///   - model: a model with token input and a categorical output at every step.
    ///   - prime: token ids to condition on; with none, the first token is drawn uniformly (as char-rnn does),
    ///     since the zero state has seen nothing to predict from.
    ///   - options: the length and sampling settings (stop sequences are ``TextGenerator``'s).
    ///   - threads: threads that share each step's large dense products (``KRUModel/session(batchSize:threads:)``);
    ///     the tokens do not depend on it.
    /// - Throws: ``GenerationError`` for invalid options or a model without text output, ``ModelInputError``
    ///   for a prime token outside the vocabulary.
    public init(model: KRUModel, prime: [Int], options: GenerationOptions, threads: Int = 1) throws {
        try options.validate()
        let vocabularySize = try model.textVocabularySize()
        session = model.session(threads: threads)
        drawer = TokenDrawer(vocabularySize: vocabularySize, options: options)
        remaining = options.length
        for token in prime { try session.feed(token: token) }
    }

    public mutating func next() -> Int? {
        if let left = remaining {
            guard left > 0 else { return nil }
            remaining = left - 1
        }
        let token = drawer.draw(from: session)
        try! session.feed(token: token)  // a sampled token is always inside the vocabulary
        return token
    }
}
