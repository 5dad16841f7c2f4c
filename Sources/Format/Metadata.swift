/// A typed metadata value (spec/FORMAT.md §2.2).
public enum KRUMetadataValue: Equatable, Sendable, CustomStringConvertible {
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case boolArray([Bool])
    case intArray([Int64])
    case floatArray([Double])
    case stringArray([String])

    /// The spec's type name: "bool", "int", "float", "string" or "array".
    public var typeName: String {
        switch self {
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "string"
        case .boolArray, .intArray, .floatArray, .stringArray: "array"
        }
    }

    public var description: String {
        switch self {
        case .bool(let v): "\(v)"
        case .int(let v): "\(v)"
        case .float(let v): "\(v)"
        case .string(let v): v.debugDescription
        case .boolArray(let v): "\(v)"
        case .intArray(let v): "\(v)"
        case .floatArray(let v): "\(v)"
        case .stringArray(let v): "\(v)"
        }
    }

    // Bit-exact equality for floats: NaN payloads must survive a round trip, and -0 is not +0 on disk.
    public static func == (lhs: KRUMetadataValue, rhs: KRUMetadataValue) -> Bool {
        switch (lhs, rhs) {
        case let (.bool(a), .bool(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.float(a), .float(b)): a.bitPattern == b.bitPattern
        case let (.string(a), .string(b)): a == b
        case let (.boolArray(a), .boolArray(b)): a == b
        case let (.intArray(a), .intArray(b)): a == b
        case let (.floatArray(a), .floatArray(b)): a.map(\.bitPattern) == b.map(\.bitPattern)
        case let (.stringArray(a), .stringArray(b)): a == b
        default: false
        }
    }
}

/// One metadata entry: a namespaced key (`general.name`, `kru.hidden_size`, …) and its value.
public struct KRUMetadataEntry: Equatable, Sendable {
    public let key: String
    public let value: KRUMetadataValue

    public init(_ key: String, _ value: KRUMetadataValue) {
        self.key = key
        self.value = value
    }
}

/// On-disk value type codes.
enum MetadataTypeCode: UInt8 {
    case bool = 1, int = 2, float = 3, string = 4, array = 5
}
