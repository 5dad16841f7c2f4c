import Foundation
import KRUInference

// Everything the server takes from the inference engine is in this file, so that a change of the engine's API
// touches the server here only. The rest of the server sees token ids, logits buffers and these few types.

/// A character model loaded for serving: a categorical token model with an output at every step.
struct ServedModel: Sendable {
    /// What the API calls the model: the file name without `.kru`.
    let name: String
    let path: String
    private let model: KRUModel
    private let tokenizer: Tokenizer

    /// Loads and checks the model at `path`; a model that cannot generate text is refused with the reason.
    init(name: String, path: String) throws {
        let model = try KRUModel(path: path)
        guard let tokenizer = model.tokenizer, tokenizer.vocabulary.tokenizer == .characters,
              model.description.outputKind == .categorical, model.description.outputSteps == .every
        else {
            throw ModelNotServableError(reason: "not a character model (token input, categorical output at every step)")
        }
        self.name = name
        self.path = path
        self.model = model
        self.tokenizer = tokenizer
    }

    var vocabularySize: Int { model.description.outputWidth }
    var parameterCount: Int { model.parameterCount }
    var recurrentParameterCount: Int { model.recurrentParameterCount }
    /// The cells of the layers, e.g. `kru` or `lstm`, as the schema names them.
    var cells: [String] { model.description.layers.map(\.cell.rawValue) }
    var hiddenSizes: [Int] { model.description.layers.map(\.hiddenSize) }

    /// The token ids of `text`; characters outside the vocabulary are refused, all named in the message.
    func encode(_ text: String) throws(UnknownCharacters) -> [Int] {
        do {
            return try tokenizer.encode(text)
        } catch let error as UnknownCharactersError {
            throw UnknownCharacters(message: error.description)
        } catch {
            throw UnknownCharacters(message: "\(error)")
        }
    }

    /// The character of token `token`.
    func text(of token: Int) -> String { String(tokenizer.vocabulary[token]) }

    /// The character of token `token` as a Unicode scalar (what stop sequences are matched on).
    func scalar(of token: Int) -> Unicode.Scalar { tokenizer.vocabulary[token].unicodeScalars.first! }

    /// Scores `tokens` exactly as `kru score` does (one stream from the zero state).
    func score(tokens: [Int]) -> TextScoreSummary {
        let score = try! model.score(tokens: tokens)  // a text model (checked when served), ids from its tokenizer
        return TextScoreSummary(tokenCount: score.tokenCount, meanNLL: score.meanNLL,
                                standardError: score.standardError, bitsPerToken: score.bitsPerToken,
                                perplexity: score.perplexity, perplexityError: score.perplexityError,
                                accuracy: score.accuracy)
    }

    /// A prompt's characters as `echo` returns them without `logprobs`.
    func echo(_ tokens: [Int]) -> [GeneratedToken] {
        tokens.map { GeneratedToken(token: $0, text: text(of: $0), logprobs: nil) }
    }

    /// A prompt's characters as `echo` returns them with `logprobs` (`top` alternatives): character i ≥ 1 with its
    /// log-probabilities under the model after characters 0 ..< i, teacher-forced from the zero state in one stream
    /// as `/v1/score` does; the first without, as nothing precedes it. Returns nil if `stop` says so (asked every
    /// 256 characters of the pass).
    func echo(_ tokens: [Int], logprobs top: Int, until stop: () -> Bool) -> [GeneratedToken]? {
        let session = model.session()
        var echoed: [GeneratedToken] = []
        echoed.reserveCapacity(tokens.count)
        for (position, token) in tokens.enumerated() {
            if position % 256 == 0, stop() { return nil }
            let logprobs = position == 0 ? nil : session.withOutputs { logits in
                TokenLogProbabilities(logits: logits, chosen: token, top: top, text: text(of:))
            }
            echoed.append(GeneratedToken(token: token, text: text(of: token), logprobs: logprobs))
            if position + 1 < tokens.count { try! session.feed(token: token) }  // an id from this model's tokenizer
        }
        return echoed
    }

    fileprivate var engineModel: KRUModel { model }
}

/// A model file the server does not serve (a classifier, a regression model), with the reason.
struct ModelNotServableError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// Text with characters outside a model's vocabulary; the message names them.
struct UnknownCharacters: Error {
    let message: String
}

/// The statistics of ``ServedModel/score(tokens:)``: those of `kru score`.
struct TextScoreSummary: Sendable, Equatable {
    let tokenCount: Int
    let meanNLL: Double
    let standardError: Double
    let bitsPerToken: Double
    let perplexity: Double
    let perplexityError: Double
    let accuracy: Double
}

/// The recurrent states of the sequences a model is generating, advanced together by one batched step.
///
/// Continuous batching needs a batch whose members come and go between steps. The batch keeps one session with a
/// slot per sequence it may hold and runs only its leading slots (`KRUSession.feed(leadingStreams:)`), so the
/// running sequences always occupy slots 0 ..< count: when some leave, the sequences in the last slots move into
/// the holes (a copy of a few kilobytes each, within the session), and newcomers take the slots after them. The
/// session grows by doubling (up to the lane's capacity) as the batch first needs it, so memory follows the load.
/// Used by one thread (a model's batch worker) only.
final class StreamBatch {
    private let model: KRUModel
    private let capacity: Int
    private var session: KRUSession?
    private var prefillSession: KRUSession?
    private let promptCache: PromptStateCache

    /// - Parameters:
    ///   - capacity: sequences in the batch at most.
    ///   - promptCache: the states after recent prompts, shared with the model's other lanes.
    init(model: ServedModel, capacity: Int, promptCache: PromptStateCache) {
        self.model = model.engineModel
        self.capacity = capacity
        self.promptCache = promptCache
    }

    /// Sequences in the batch (its leading slots).
    private(set) var count = 0

    /// Rearranges the batch for the next step: `survivors` (current stream indices, ascending) keep their state,
    /// and `newcomers` fresh sequences start from the zero state. Returns the new stream index of each survivor (in
    /// the order given) and of each newcomer.
    func rearrange(survivors: [Int], newcomers: Int) -> (survivors: [Int], newcomers: [Int]) {
        let kept = survivors.count
        count = kept + newcomers
        guard count > 0 else { return ([], []) }
        precondition(count <= capacity, "\(count) sequences for a batch of at most \(capacity)")
        let session = sessionHolding(count, survivors: survivors)
        var positions = survivors
        // Survivors are ascending, so those beyond the first `kept` slots come last, and they fill the holes the
        // leavers left below it. Most steps nobody leaves and this finds nothing to move.
        if let firstMover = survivors.firstIndex(where: { $0 >= kept }) {
            let staying = Set(survivors[..<firstMover])
            var holes = (0..<kept).filter { !staying.contains($0) }
            for position in firstMover..<kept {
                let hole = holes.removeLast()
                session.copyStream(survivors[position], of: session, to: hole)
                positions[position] = hole
            }
        }
        let fresh = Array(kept..<count)
        for slot in fresh { session.reset(stream: slot) }
        return (positions, fresh)
    }

    /// The batch's session with at least `size` slots. A larger one, when needed, has twice the old slots (at least
    /// `size`, at most the capacity) and receives the survivors' states in their current slots.
    private func sessionHolding(_ size: Int, survivors: [Int]) -> KRUSession {
        if let session, session.batchSize >= size { return session }
        let larger = model.session(batchSize: min(capacity, max(size, 2 * (session?.batchSize ?? 0))))
        if let session { for stream in survivors { larger.copyStream(stream, of: session, to: stream) } }
        session = larger
        return larger
    }

    /// Feeds `tokens` to a fresh sequence outside the batch, one step each in a session of its own, and puts the
    /// resulting state (and logits) into stream `stream` — a prompt's prefill, which costs the running batch one
    /// single-stream step per character instead of holding the new sequence back for a batch step per character.
    /// The longest prompt prefix whose state the cache holds is not fed again. Does nothing and returns nil when
    /// more than `budget` characters would have to be fed; otherwise returns the characters fed and those taken
    /// from the cache.
    func prefill(_ tokens: [Int], into stream: Int, feedingAtMost budget: Int) -> (fed: Int, cached: Int)? {
        guard let session else { preconditionFailure("no batch") }
        let cached = promptCache.longestPrefix(of: tokens)
        let cachedLength = cached?.length ?? 0
        guard tokens.count - cachedLength <= budget else { return nil }
        if let cached, cachedLength == tokens.count {
            try! session.restore(cached.state, stream: stream)  // a single-stream state of this model
            return (0, cachedLength)
        }
        let single = prefillSession ?? model.session()
        prefillSession = single
        if let cached { try! single.restore(cached.state) } else { single.reset() }
        for token in tokens[cachedLength...] { try! single.feed(token: token) }  // the tokenizer's ids
        promptCache.insert(tokens, state: single.snapshot())
        session.copyStream(0, of: single, to: stream)
        return (tokens.count - cachedLength, cachedLength)
    }

    /// Keeps stream `stream`'s state, which the batch steps have just brought to the end of prompt `tokens`, in the
    /// prompt cache: a prompt too long to be prefilled is then fed once, and a later request with the same prompt (or
    /// one that starts with it) restores the state. A batched stream's state is bit for bit the state a single
    /// stream reaches, so the later text is the same.
    func cachePrompt(_ tokens: [Int], ofStream stream: Int) {
        guard let session else { preconditionFailure("no batch") }
        promptCache.insert(tokens, state: try! session.snapshot(stream: stream))  // a stream of this batch
    }

    /// Feeds `inputs[b]` to stream b of the batch and computes every stream's logits.
    func step(_ inputs: [Int]) {
        guard let session, count > 0 else { return }
        precondition(inputs.count == count, "\(inputs.count) inputs for a batch of \(count)")
        try! session.feed(leadingStreams: inputs)  // prompt ids or sampled ids, one per stream (checked above)
    }

    /// Runs `body` on stream `stream`'s logits after the last step (valid only inside `body`).
    func withLogits<R>(of stream: Int, _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
        guard let session else { preconditionFailure("no batch") }
        let k = model.description.outputWidth
        return session.withOutputs { all in body(UnsafeBufferPointer(rebasing: all[stream * k..<(stream + 1) * k])) }
    }
}

/// One sequence's sampling: the spec's generator (spec/SAMPLING.md) and sampler, used exactly as `kru sample`
/// uses them, so a seeded request gives the text `kru sample --seed` gives.
struct TokenPicker {
    private var sampler: TokenSampler
    private var random: KRURandom

    init(vocabularySize: Int, temperature: Double, topK: Int, topP: Double, seed: UInt64) {
        sampler = TokenSampler(vocabularySize: vocabularySize, temperature: temperature, topK: topK, topP: topP)
        random = KRURandom(seed: seed)
    }

    /// The next token from the model's logits (one uniform draw).
    mutating func pick(from logits: UnsafeBufferPointer<Float>) -> Int {
        sampler.sample(logits: logits, using: &random)
    }

    /// The first token when there is no prompt: uniform over the vocabulary, as the engine's generation does,
    /// since the zero state has seen nothing to predict from.
    mutating func pickWithoutContext() -> Int {
        random.nextIndex(below: sampler.vocabularySize)
    }

    /// A seed from the operating system, for requests that give none (the response reports it).
    static func systemSeed() -> UInt64 { KRURandom.systemSeed() }
}
