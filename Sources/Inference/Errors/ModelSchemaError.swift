import Foundation

/// A `.kru` file that is a valid container but not a valid model (spec/MODEL.md §6). The message names the
/// key or tensor at fault.
public struct ModelSchemaError: Error, Equatable, Sendable, LocalizedError, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
