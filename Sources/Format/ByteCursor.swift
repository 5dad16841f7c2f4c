/// Reads little-endian fields from a byte region (the directory), never past its end. Every read that would
/// overrun throws `directory_overrun` at the offset of the field, so callers can check counts against
/// ``remaining`` before they allocate.
struct ByteCursor {
    private let bytes: [UInt8]
    /// File offset of `bytes[0]`, so errors name real file positions.
    private let base: UInt64
    private(set) var position = 0

    init(_ bytes: [UInt8], fileOffset: UInt64) {
        self.bytes = bytes
        self.base = fileOffset
    }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position == bytes.count }
    /// The file offset of the next byte to be read.
    var fileOffset: UInt64 { base + UInt64(position) }

    private mutating func take(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
        guard count <= remaining else {
            throw KRUFormatError(.directoryOverrun, at: fileOffset,
                                 "\(what) needs \(count) bytes but the directory has \(remaining) left")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    mutating func u8(_ what: String) throws -> UInt8 { try take(1, what).first! }
    mutating func u16(_ what: String) throws -> UInt16 { UInt16(try littleEndian(take(2, what))) }
    mutating func u32(_ what: String) throws -> UInt32 { UInt32(try littleEndian(take(4, what))) }
    mutating func u64(_ what: String) throws -> UInt64 { try littleEndian(take(8, what)) }
    mutating func bytes(_ count: Int, _ what: String) throws -> [UInt8] { Array(try take(count, what)) }
    mutating func skip(_ count: Int, _ what: String) throws { _ = try take(count, what) }
}

/// The little-endian unsigned integer in `bytes` (at most 8 of them).
func littleEndian<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var value: UInt64 = 0
    for (i, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
    return value
}

/// Appends little-endian fields; the writer's side of ``ByteCursor``.
struct ByteBuffer {
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { append(UInt64(v), 2) }
    mutating func u32(_ v: UInt32) { append(UInt64(v), 4) }
    mutating func u64(_ v: UInt64) { append(v, 8) }
    mutating func raw<S: Sequence>(_ s: S) where S.Element == UInt8 { bytes.append(contentsOf: s) }
    /// A spec string: u32 length, then UTF-8.
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        raw(utf8)
    }
    mutating func overwriteU32(_ v: UInt32, at index: Int) {
        for i in 0..<4 { bytes[index + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }

    private mutating func append(_ v: UInt64, _ count: Int) {
        for i in 0..<count { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
}

/// `value` in lower-case hexadecimal, zero-padded to the width of its type ("0a", "cbf43926").
func hex<T: FixedWidthInteger>(_ value: T) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, T.bitWidth / 4 - digits.count)) + digits
}
