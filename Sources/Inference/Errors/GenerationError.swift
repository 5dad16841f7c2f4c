import Foundation

/// Generation settings or a model that cannot generate. The messages are the one-line errors `kru sample` prints.
public enum GenerationError: Error, Equatable, Sendable, LocalizedError, CustomStringConvertible {
    /// A temperature below 0, or NaN.
    case invalidTemperature(Double)
    /// A negative top-k.
    case invalidTopK(Int)
    /// A top-p outside (0, 1], or NaN.
    case invalidTopP(Double)
    /// A negative length.
    case invalidLength(Int)
    /// An empty stop sequence (it would match before the first token).
    case emptyStopSequence
    /// The model takes vectors or has no categorical head: it has no text to generate.
    case notATextModel

    public var description: String {
        switch self {
        case .invalidTemperature(let t): "the temperature must be 0 or more, not \(t)"
        case .invalidTopK(let k): "top-k must be 0 (off) or more, not \(k)"
        case .invalidTopP(let p): "top-p must be in (0, 1], not \(p)"
        case .invalidLength(let n): "the length must be 0 or more, not \(n)"
        case .emptyStopSequence: "a stop sequence must not be empty"
        case .notATextModel: "the model does not generate text: it needs token inputs and a categorical output"
        }
    }

    public var errorDescription: String? { description }
}
