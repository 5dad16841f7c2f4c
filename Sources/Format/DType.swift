/// The element types a `.kru` tensor can hold (spec/FORMAT.md §3). Raw values are the on-disk codes.
public enum KRUDType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case f16 = 1
    case bf16 = 2
    case f32 = 3
    case f64 = 4
    /// Two interleaved f32: real, imaginary.
    case complex64 = 5
    /// Two interleaved f64: real, imaginary.
    case complex128 = 6
    case u8 = 7
    case i8 = 8
    case i32 = 9
    case i64 = 10

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .u8, .i8: 1
        case .f16, .bf16: 2
        case .f32, .i32: 4
        case .f64, .i64, .complex64: 8
        case .complex128: 16
        }
    }

    /// The spec's name ("f32", "complex64", …), also used in JSON and by `kru inspect`.
    public var name: String {
        switch self {
        case .f16: "f16"
        case .bf16: "bf16"
        case .f32: "f32"
        case .f64: "f64"
        case .complex64: "complex64"
        case .complex128: "complex128"
        case .u8: "u8"
        case .i8: "i8"
        case .i32: "i32"
        case .i64: "i64"
        }
    }

    public var isComplex: Bool { self == .complex64 || self == .complex128 }

    public var description: String { name }

    /// Looks a type up by its spec name.
    public init?(name: String) {
        guard let match = KRUDType.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }
}

/// How a tensor's bytes are stored (spec/FORMAT.md §4). Raw values are the on-disk codes.
public enum KRUCompression: UInt8, Sendable, CustomStringConvertible {
    case none = 0
    /// One RFC 1950 zlib stream (header, DEFLATE, Adler-32).
    case zlib = 1

    public var description: String { self == .none ? "none" : "zlib" }
}
