import Foundation

/// Input that does not fit a model or session: a token outside the vocabulary, a vector of the wrong width, a
/// stream that does not exist, a saved state of another model.
public struct ModelInputError: Error, Equatable, Sendable, LocalizedError, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
