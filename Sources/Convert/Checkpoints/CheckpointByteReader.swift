/// Reads little-endian fields from bytes in memory, never past their end: every overrun throws `truncated`
/// naming the field and its file offset, so counts can be checked against ``remaining`` before allocating.
struct CheckpointByteReader {
    let bytes: [UInt8]
    /// The file offset of `bytes[0]`, so that errors name real positions.
    let base: UInt64
    let context: CheckpointContext
    private(set) var position = 0

    init(_ bytes: [UInt8], base: UInt64 = 0, context: CheckpointContext) {
        self.bytes = bytes
        self.base = base
        self.context = context
    }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position == bytes.count }
    /// The file offset of the next byte.
    var offset: UInt64 { base + UInt64(position) }

    mutating func take(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw context.error(.truncated, at: offset, "\(what) needs \(count) bytes but \(remaining) remain")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    mutating func u8(_ what: String) throws -> UInt8 { try take(1, what).first! }
    mutating func u16(_ what: String) throws -> UInt16 { UInt16(littleEndianUInt64(try take(2, what))) }
    mutating func u32(_ what: String) throws -> UInt32 { UInt32(littleEndianUInt64(try take(4, what))) }
    mutating func u64(_ what: String) throws -> UInt64 { littleEndianUInt64(try take(8, what)) }
    mutating func skip(_ count: Int, _ what: String) throws { _ = try take(count, what) }
    mutating func seek(to position: Int) { self.position = position }
}

/// The little-endian unsigned integer in `bytes` (at most 8 of them).
func littleEndianUInt64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var value: UInt64 = 0
    for (i, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
    return value
}

/// `bytes` as UTF-8, or nil if they are not valid UTF-8 (no replacement characters sneak in).
func strictUTF8String<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
    let text = String(decoding: bytes, as: UTF8.self)
    return text.utf8.elementsEqual(bytes) ? text : nil
}

/// The first bytes as hex for messages ("80 02 8a 0a").
func hexPreview<C: Collection>(_ bytes: C, count: Int = 8) -> String where C.Element == UInt8 {
    bytes.prefix(count).map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: " ")
}

/// A short quoted, printable rendering of untrusted text for error messages.
func quotedForMessage(_ text: String, limit: Int = 80) -> String {
    var shown = String(text.unicodeScalars.prefix(limit).map {
        $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f ? Character($0) : "?"
    })
    if text.unicodeScalars.count > limit { shown += "…" }
    return "'\(shown)'"
}
