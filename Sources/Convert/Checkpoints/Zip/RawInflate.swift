import KRUFormat

/// Raw DEFLATE (RFC 1951, as in ZIP entries), never producing more than the declared size: KRUFormat's
/// ``BoundedInflate`` with raw framing, so the `.kru` reader and the checkpoint readers share one capped inflate.
enum RawInflate {
    static func inflate(_ input: [UInt8], expectedCount: Int) -> Result<[UInt8], BoundedInflate.Failure> {
        BoundedInflate.inflate(input, expectedCount: expectedCount, framing: .raw)
    }

    /// CRC-32 (zlib's) of `bytes`.
    static func crc32(_ bytes: [UInt8]) -> UInt32 { CRC32.checksum(bytes) }
}
