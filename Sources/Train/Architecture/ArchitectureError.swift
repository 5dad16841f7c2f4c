/// An architecture that cannot become a valid model (spec/MODEL.md §6). The message names the part at fault.
public struct ArchitectureError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
