/// A checkpoint that cannot be converted as asked: what is wrong, naming the tensors or options involved.
public struct ConversionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
