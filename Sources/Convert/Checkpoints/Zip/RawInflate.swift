import CZlib

/// Raw DEFLATE (RFC 1951, as in ZIP entries) through the system zlib, never producing more than the declared
/// size: a stream that would go further is reported, not followed.
enum RawInflate {
    enum Failure: Error {
        /// More output than declared (a DEFLATE bomb); `declared` is the promised size.
        case tooLong(declared: Int)
        /// Less output than declared, or the stream stops before its final block.
        case tooShort(produced: Int, declared: Int)
        /// Input bytes left after the end of the stream.
        case trailing(Int)
        /// Invalid DEFLATE data (zlib's message).
        case invalid(String)
    }

    static func inflate(_ input: [UInt8], expectedCount: Int) -> Result<[UInt8], Failure> {
        var stream = z_stream()
        // The init macros are not importable; windowBits −15 selects raw DEFLATE without a zlib header.
        let status = ZLIB_VERSION.withCString { inflateInit2_(&stream, -15, $0, Int32(MemoryLayout<z_stream>.size)) }
        guard status == Z_OK else { return .failure(.invalid("zlib could not start (out of memory)")) }
        defer { inflateEnd(&stream) }
        // One spare byte: a stream that writes into it is longer than declared.
        var output = [UInt8](repeating: 0, count: expectedCount + 1)
        var result: Int32 = Z_OK
        input.withUnsafeBytes { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress?.assumingMemoryBound(to: Bytef.self))
                stream.next_out = out.baseAddress
                stream.avail_in = 0
                stream.avail_out = 0
                var inputLeft = inp.count, outputLeft = out.count
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
        }
        let produced = Int(stream.total_out)
        if produced > expectedCount { return .failure(.tooLong(declared: expectedCount)) }
        if result == Z_DATA_ERROR || result == Z_NEED_DICT || result == Z_MEM_ERROR {
            return .failure(.invalid(stream.msg.map { String(cString: $0) } ?? "corrupt data"))
        }
        guard result == Z_STREAM_END else { return .failure(.tooShort(produced: produced, declared: expectedCount)) }
        if Int(stream.total_in) != input.count { return .failure(.trailing(input.count - Int(stream.total_in))) }
        if produced != expectedCount { return .failure(.tooShort(produced: produced, declared: expectedCount)) }
        output.removeLast()
        return .success(output)
    }

    /// CRC-32 (zlib's) of `bytes`.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { raw in
            var crc: uLong = CZlib.crc32(0, nil, 0)
            var rest = raw
            while !rest.isEmpty {
                let n = min(rest.count, 1 << 30)
                crc = CZlib.crc32(crc, rest.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(n))
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }
}
