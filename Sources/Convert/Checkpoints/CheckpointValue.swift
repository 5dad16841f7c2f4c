/// A simple non-tensor value found in a checkpoint, such as a Lightning checkpoint's `epoch`,
/// `pytorch-lightning_version` or `hyper_parameters`. Nothing here was executed: objects the reader does not
/// model are kept as an inert ``opaque(_:)`` description.
public indirect enum CheckpointValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer too large for `Int64`, in decimal.
    case bigInteger(String)
    case double(Double)
    case string(String)
    /// A byte string (only its length is kept).
    case bytes(count: Int)
    case list([CheckpointValue])
    case tuple([CheckpointValue])
    /// A dictionary in file order; keys that are not strings are written out (`0`, `True`, `('a', 1)`).
    case dictionary([CheckpointMetadataEntry])
    /// A tensor that is not one of the weights (described, never read).
    case tensor(dtype: CheckpointDType, shape: [Int])
    /// Anything else, for example a reference to a Python class, described in words.
    case opaque(String)
}

/// A named metadata value.
public struct CheckpointMetadataEntry: Sendable, Equatable {
    public let key: String
    public let value: CheckpointValue

    public init(key: String, value: CheckpointValue) {
        self.key = key
        self.value = value
    }
}

extension CheckpointValue: CustomStringConvertible {
    /// The value as Python would print it (`'RNN_RELU'`, `12`, `None`, `(1, 2)`), for listings.
    public var description: String {
        switch self {
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .bigInteger(let text): text
        case .double(let d): String(d)
        case .string(let s): Self.quoted(s)
        case .bytes(let count): "<\(count) bytes>"
        case .list(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .tuple(let items): "(" + items.map(\.description).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
        case .dictionary(let entries): "{" + entries.map { "'\($0.key)': \($0.value)" }.joined(separator: ", ") + "}"
        case .tensor(let dtype, let shape): "<tensor \(dtype) \(shape)>"
        case .opaque(let text): "<\(text)>"
        }
    }

    /// `text` in single quotes with `\` and `'` escaped, as Python's repr writes it. Plain Swift, because the
    /// checkpoint readers are also compiled without Foundation (tools/fuzz-format.sh).
    private static func quoted(_ text: String) -> String {
        var result = "'"
        for character in text {
            if character == "\\" || character == "'" { result.append("\\") }
            result.append(character)
        }
        return result + "'"
    }
}
