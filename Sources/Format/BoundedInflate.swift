import CZlib

/// Inflation that never produces more than a declared size — the zip-bomb defence shared by the `.kru` reader
/// (RFC 1950 zlib streams) and the checkpoint readers (raw RFC 1951 DEFLATE in ZIP entries).
public enum BoundedInflate {
    /// How the compressed bytes are framed.
    public enum Framing: Sendable {
        /// RFC 1950: 2-byte header, DEFLATE data, Adler-32 (checked by zlib).
        case zlib
        /// RFC 1951 DEFLATE with no header or checksum (ZIP entries).
        case raw
    }

    /// Why inflation failed.
    public enum Failure: Error, Equatable, Sendable {
        /// The stream would produce more than the declared size (a DEFLATE bomb); inflation stopped there.
        case tooLong(declared: Int)
        /// The stream ends (or stops before its final block) with fewer bytes than declared.
        case tooShort(produced: Int, declared: Int)
        /// Input bytes are left after the end of the stream.
        case trailing(Int)
        /// A zlib stream asks for a preset dictionary, which neither format allows.
        case presetDictionary
        /// Invalid data (zlib's message).
        case invalid(String)

        /// A sentence for error messages.
        public var reason: String {
            switch self {
            case .tooLong(let declared): "the stream inflates to more than the declared \(declared) bytes"
            case .tooShort(let produced, let declared): "the stream ends after \(produced) of the declared \(declared) bytes"
            case .trailing(let count): "\(count) bytes follow the end of the stream"
            case .presetDictionary: "the stream asks for a preset dictionary, which is not allowed"
            case .invalid(let message): "invalid compressed data: \(message)"
            }
        }
    }

    /// Inflates exactly one stream that must occupy all of `input` and produce exactly `expectedCount` bytes.
    /// The output buffer is `expectedCount + 1` bytes: a stream that writes the spare byte is longer than declared.
    public static func inflate(_ input: UnsafeRawBufferPointer, expectedCount: Int, framing: Framing) -> Result<[UInt8], Failure> {
        var stream = z_stream()
        // The init macros are not importable: call inflateInit2_ with the version and struct size they would pass.
        // windowBits 15 = zlib framing, −15 = raw DEFLATE.
        let windowBits: Int32 = framing == .zlib ? 15 : -15
        let status = ZLIB_VERSION.withCString { inflateInit2_(&stream, windowBits, $0, Int32(MemoryLayout<z_stream>.size)) }
        guard status == Z_OK else { return .failure(.invalid("zlib could not start (out of memory)")) }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: expectedCount + 1)
        var result: Int32 = Z_OK
        output.withUnsafeMutableBufferPointer { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.next_out = out.baseAddress
            stream.avail_in = 0
            stream.avail_out = 0
            var inputLeft = input.count, outputLeft = out.count
            // zlib's counters are 32-bit: feed at most 1 GiB at a time.
            while true {
                if stream.avail_in == 0 && inputLeft > 0 {
                    let n = min(inputLeft, 1 << 30)
                    stream.avail_in = uInt(n)
                    inputLeft -= n
                }
                if stream.avail_out == 0 && outputLeft > 0 {
                    let n = min(outputLeft, 1 << 30)
                    stream.avail_out = uInt(n)
                    outputLeft -= n
                }
                result = CZlib.inflate(&stream, Z_NO_FLUSH)
                if result != Z_OK { break }
                if stream.avail_in == 0 && inputLeft == 0 { break }
                if stream.avail_out == 0 && outputLeft == 0 { break }
            }
        }
        let produced = Int(stream.total_out)
        if result == Z_NEED_DICT { return .failure(.presetDictionary) }
        if produced > expectedCount { return .failure(.tooLong(declared: expectedCount)) }
        if result == Z_DATA_ERROR || result == Z_MEM_ERROR {
            return .failure(.invalid(stream.msg.map { String(cString: $0) } ?? "corrupt data"))
        }
        guard result == Z_STREAM_END else { return .failure(.tooShort(produced: produced, declared: expectedCount)) }
        if Int(stream.total_in) != input.count { return .failure(.trailing(input.count - Int(stream.total_in))) }
        if produced != expectedCount { return .failure(.tooShort(produced: produced, declared: expectedCount)) }
        output.removeLast()
        return .success(output)
    }

    /// The same for bytes in an array.
    public static func inflate(_ input: [UInt8], expectedCount: Int, framing: Framing) -> Result<[UInt8], Failure> {
        input.withUnsafeBytes { inflate($0, expectedCount: expectedCount, framing: framing) }
    }
}

/// CRC-32 (ISO-HDLC, zlib's `crc32`), the checksum of `.kru` tensors and ZIP entries.
public enum CRC32 {
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: uLong = CZlib.crc32(0, nil, 0)
        var rest = bytes
        // zlib takes a 32-bit length; feed huge buffers in pieces.
        while !rest.isEmpty {
            let n = min(rest.count, 1 << 30)
            crc = CZlib.crc32(crc, rest.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(n))
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { checksum($0) } }
}
