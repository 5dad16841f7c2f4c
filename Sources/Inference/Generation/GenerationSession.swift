/// A text model's state for generation: prime it with text, generate from it, branch it, and continue it.
///
/// A recurrent model's whole context is its hidden state, of constant size however long the text: the state after a
/// prompt is the prompt cache. A session advances with every token it is fed or generates, so after a generation it
/// continues from the end of the generated text (stop sequences included: the model has read them); ``branch()``
/// copies it to explore alternatives from the same point, and ``state`` / ``restore(_:)`` save and return to one.
///
/// ```swift
/// let model = try KRUModel(contentsOf: url)
/// let session = try GenerationSession(model: model)
/// try session.append("And God said")
/// for await token in try session.generate(GenerationOptions(length: 200, seed: 1, stop: ["\n"])) {
///     print(token.text, terminator: "")
/// }
/// try session.append("\nAnd")   // continue after what was generated
/// ```
///
/// Not thread-safe: use a session from one task at a time (branches are independent).
public final class GenerationSession {
    public let model: KRUModel
    public let tokenizer: Tokenizer
    let kruSession: KRUSession
    /// The token read or generated last, nil at the start or after ``restore(_:)``: a word model's next word gets
    /// its space from it (``TextDecoder``).
    public internal(set) var lastToken: Int?

    /// A session of `model` at the zero state (nothing read yet). `threads` share each step's large dense products
    /// (``KRUModel/session(batchSize:threads:)``): faster for a large dense model, the same tokens.
    /// - Throws: ``GenerationError/notATextModel`` for a model that does not generate text.
    public init(model: KRUModel, threads: Int = 1) throws(GenerationError) {
        _ = try model.textVocabularySize()
        self.model = model
        tokenizer = model.tokenizer!
        kruSession = model.session(threads: threads)
    }

    private init(copying other: GenerationSession) {
        model = other.model
        tokenizer = other.tokenizer
        kruSession = model.session(threads: other.kruSession.threadCount)
        try! kruSession.restore(other.kruSession.snapshot())  // same model, one stream
        lastToken = other.lastToken
    }

    /// Tokens read and generated so far.
    public var tokenCount: Int { kruSession.stepCount }

    /// Reads `text` (a prompt, or the user's next turn). A word model's last line stays open unless `text` ends
    /// with a line end, so generation continues it.
    /// - Throws: ``UnknownCharactersError`` if `text` has tokens outside the vocabulary (nothing is read).
    public func append(_ text: String) throws {
        try append(tokens: tokenizer.encode(text, closingLastLine: false))
    }

    /// Reads token ids.
    /// - Throws: ``ModelInputError`` for an id outside the vocabulary (the tokens before it have been read).
    public func append(tokens: [Int]) throws(ModelInputError) {
        for token in tokens {
            try kruSession.feed(token: token)
            lastToken = token
        }
    }

    /// The next-token log-probabilities after what was read (natural logarithms, one per vocabulary entry).
    public func logProbabilities() -> [Double] {
        kruSession.withOutputs { logits in
            let scratch = ScratchOwner(count: logits.count)
            return (0..<logits.count).map {
                logProbability(of: $0, logits: logits, scratch: scratch.buffer, variant: kruSession.variant)
            }
        }
    }

    /// Generates tokens synchronously, advancing this session (see ``TextGenerator``).
    /// - Throws: ``GenerationError`` for invalid options.
    public func tokens(_ options: GenerationOptions) throws(GenerationError) -> TextGenerator {
        try TextGenerator(session: self, options: options)
    }

    /// Generates tokens as an asynchronous sequence that computes each token when it is asked for, advancing this
    /// session (see ``TextGeneration``).
    /// - Throws: ``GenerationError`` for invalid options.
    public func generate(_ options: GenerationOptions) throws(GenerationError) -> TextGeneration {
        TextGeneration(generator: try TextGenerator(session: self, options: options))
    }

    /// An independent copy of this session at its current state.
    public func branch() -> GenerationSession { GenerationSession(copying: self) }

    /// The current state, to return to with ``restore(_:)`` or to save with ``KRUSessionState/write(toPath:)``.
    public var state: KRUSessionState { kruSession.snapshot() }

    /// Returns to a state taken from a session of the same model.
    /// - Throws: ``ModelInputError`` if the state belongs to another model or holds several streams.
    public func restore(_ state: KRUSessionState) throws(ModelInputError) {
        try kruSession.restore(state)
        lastToken = nil
    }
}

extension KRUModel {
    /// Generated text as an asynchronous sequence of ``GeneratedToken``s, for apps: reads `prime`, then computes
    /// each token when the consumer asks for it (see ``TextGeneration``).
    ///
    /// ```swift
    /// for await token in try model.generate(prime: "And God said", options: .init(length: 200, seed: 7)) {
    ///     print(token.text, terminator: "")
    /// }
    /// ```
    /// - Throws: ``GenerationError`` for invalid options or a model that does not generate text,
    ///   ``UnknownCharactersError`` if the prime has characters outside the vocabulary.
    public func generate(prime: String, options: GenerationOptions) throws -> TextGeneration {
        try options.validate()
        let session = try GenerationSession(model: self)
        try session.append(prime)
        return try session.generate(options)
    }
}
