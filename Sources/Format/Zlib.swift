import CZlib

/// zlib (RFC 1950) and CRC-32 through the system libz.
enum Zlib {
    /// CRC-32 (ISO-HDLC, zlib's `crc32`) of `bytes`.
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
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

    static func crc32(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { crc32($0) } }

    /// Compresses `input` into one RFC 1950 stream at `level` (0–9).
    static func compress(_ input: [UInt8], level: Int32 = 9) -> [UInt8] {
        var stream = z_stream()
        guard kru_deflateInit(&stream, level) == Z_OK else { fatalError("zlib deflateInit failed: out of memory") }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = inp.baseAddress
                stream.avail_in = uInt(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        // deflateBound guarantees the whole stream fits, so one Z_FINISH call completes it.
        precondition(status == Z_STREAM_END, "deflate did not finish within deflateBound")
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }

    /// Inflates exactly one zlib stream that must occupy all of `input` and produce exactly `rawLength` bytes.
    /// Never writes more than `rawLength` bytes: a longer stream is reported, not followed.
    /// Returns nil and a reason on any deviation.
    static func decompress(_ input: UnsafeRawBufferPointer, rawLength: Int) -> Result<[UInt8], InflateFailure> {
        var stream = z_stream()
        guard kru_inflateInit(&stream) == Z_OK else { return .failure(.init("zlib could not start (out of memory)")) }
        defer { inflateEnd(&stream) }
        // One spare byte: if the stream writes into it, it is longer than declared.
        var output = [UInt8](repeating: 0, count: rawLength + 1)
        var status: Int32 = Z_OK
        output.withUnsafeMutableBufferPointer { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = 0
            stream.next_out = out.baseAddress
            stream.avail_out = 0
            var inputLeft = input.count
            var outputLeft = out.count
            // Feed in pieces of at most 1 GiB because zlib's counters are 32-bit.
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
                status = inflate(&stream, Z_NO_FLUSH)
                if status != Z_OK { break }
                if stream.avail_in == 0 && inputLeft == 0 { break }
                if stream.avail_out == 0 && outputLeft == 0 { break }
            }
        }
        let produced = Int(stream.total_out)
        if status == Z_NEED_DICT { return .failure(.init("the stream asks for a preset dictionary, which the format forbids")) }
        if produced > rawLength { return .failure(.init("the stream inflates to more than the declared \(rawLength) bytes")) }
        if status == Z_DATA_ERROR {
            let reason = stream.msg.map { String(cString: $0) } ?? "corrupt data"
            return .failure(.init("invalid zlib data: \(reason)"))
        }
        guard status == Z_STREAM_END else {
            return .failure(.init("the zlib stream ends early (\(produced) of \(rawLength) bytes produced)"))
        }
        if Int(stream.total_in) != input.count {
            return .failure(.init("\(input.count - Int(stream.total_in)) bytes follow the end of the zlib stream"))
        }
        if produced != rawLength {
            return .failure(.init("the stream inflates to \(produced) bytes, not the declared \(rawLength)"))
        }
        output.removeLast()
        return .success(output)
    }

    struct InflateFailure: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
