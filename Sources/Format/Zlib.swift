import CZlib

/// zlib (RFC 1950) compression for the writer; inflation is ``BoundedInflate``, checksums ``CRC32``.
enum Zlib {
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
}
