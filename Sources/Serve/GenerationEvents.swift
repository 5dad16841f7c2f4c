/// One generated character as the client sees it.
struct GeneratedToken: Sendable {
    let token: Int
    let text: String
    /// nil when `logprobs` was not asked for, or for a first character drawn without context.
    let logprobs: TokenLogProbabilities?
}

/// Why a choice's text ended.
enum FinishReason: Sendable, Equatable {
    /// `max_tokens` characters were generated.
    case length
    /// A stop sequence was generated (it is not part of the text).
    case stop
    /// The request's time ran out (queueing included).
    case timeout
    /// The client went away; nobody reads the result.
    case cancelled
    /// The server is shutting down and the grace period is over.
    case shutdown

    /// The `finish_reason` of a choice that ended normally; nil for the reasons that end the request with an error.
    var apiName: String? {
        switch self {
        case .length: "length"
        case .stop: "stop"
        case .timeout, .cancelled, .shutdown: nil
        }
    }
}

/// What a batch worker tells a request's response writer.
enum GenerationEvent: Sendable {
    /// Characters of choice `choice`, in order.
    case tokens(choice: Int, [GeneratedToken])
    /// Choice `choice` ended, after `completionTokens` generated characters (stop sequences included).
    case finished(choice: Int, reason: FinishReason, completionTokens: Int)
}
