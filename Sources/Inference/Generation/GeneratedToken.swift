/// One element of a generation: a token, its text and its log-probability, and — on the last element — why
/// generation ended.
public struct GeneratedToken: Sendable, Equatable {
    /// The token id (an index into the model's vocabulary).
    public let id: Int
    /// The text this element adds, as the model's tokenizer writes it (a character; a word with the space before
    /// it, `<eos>` as a line end; a byte model's complete UTF-8 characters), or "" for the token that completed a
    /// stop sequence (stop sequences are not emitted).
    public let text: String
    /// The natural logarithm of the probability the model gave this token (its softmax at temperature 1,
    /// before temperature and filters).
    public let logProbability: Double
    /// Set on the last element only.
    public let finishReason: FinishReason?
}

/// Why a generation ended.
public enum FinishReason: Sendable, Equatable, CustomStringConvertible {
    /// The requested number of tokens was generated.
    case length
    /// The generated text reached this stop sequence.
    case stop(String)

    /// "length" or "stop" (as JSON output names them).
    public var description: String {
        switch self {
        case .length: "length"
        case .stop: "stop"
        }
    }
}
