import Foundation

/// What one request may ask of the server and how much work it holds at once. The defaults suit a small
/// machine; `kru-serve --help` lists the flags that change them.
public struct ServerLimits: Sendable {
    /// Largest request body, in bytes (413 beyond it).
    public var maxBodyBytes = 1 << 20
    /// Most tokens one completion may ask for (`max_tokens`).
    public var maxTokens = 4096
    /// Longest prompt, in characters.
    public var maxPromptCharacters = 16_384
    /// Longest text `/v1/score` takes, in characters.
    public var maxScoreCharacters = 200_000
    /// Most completions per request (`n`).
    public var maxChoices = 8
    /// Most stop sequences, and the longest one in characters.
    public var maxStopSequences = 4
    public var maxStopCharacters = 64
    /// Most alternatives per token in `logprobs`.
    public var maxLogprobs = 5
    /// Seconds a request may take from arrival to its last token, queueing included.
    public var requestTimeout: Double = 60
    /// Seconds a client may take to send a request's headers and body; slower clients get 408.
    public var readTimeout: Double = 10
    /// Sequences of one model generated at once (split over its threads; each thread advances its share with one
    /// batched step per character).
    public var maxBatch = 64
    /// Threads generating each model's sequences: by default one per core.
    public var threadsPerModel = ProcessInfo.processInfo.activeProcessorCount
    /// Sequences that may wait for a batch slot, per model; beyond it requests get 503 with Retry-After.
    public var maxQueue = 256
    /// Texts scored at once (`/v1/score`, and prompts echoed with `logprobs`): scoring runs beside generation, one
    /// thread each.
    public var maxConcurrentScores = 2
    /// Texts that may wait for a scoring thread (at most `requestTimeout` seconds); beyond it 503 with Retry-After.
    public var maxQueuedScores = 64
    /// Bytes of recurrent states kept for prompts seen before, so a repeated prompt, or one that starts with a
    /// repeated prompt, is not fed again: the whole server's budget, split evenly over the models (a model's
    /// threads share its part); 0 turns the cache off.
    public var promptCacheBytes = 64 << 20
    /// Seconds between two writes of one event stream, at least: characters made meanwhile share a write.
    public var streamInterval = 0.02
    /// Seconds in-flight generations may continue after SIGTERM before they are cancelled.
    public var shutdownGrace: Double = 10

    public init() {}
}
