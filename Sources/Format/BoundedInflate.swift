import CZlib

/// Inflation that never produces more than a declared size and never trusts that size for an allocation — the
/// zip-bomb defence shared by the `.kru` reader (RFC 1950 zlib streams) and the checkpoint readers (raw RFC 1951
/// DEFLATE in ZIP entries).
///
/// The compressed bytes are read from a ``KRUByteSource`` a piece at a time, and the output is either handed on
/// in pieces (``stream(_:offset:count:expectedCount:framing:_:)``, constant memory) or collected in a buffer that
/// grows as bytes really arrive (``inflate(_:offset:count:expectedCount:framing:)``): a stream of random bytes that
/// declares 4 GiB fails after a few bytes having allocated almost nothing. docs/MEMORY.md states the resulting bound.
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
            case .tooShort(let produced, let declared):
                "the stream ends after \(produced) of the declared \(declared) bytes"
            case .trailing(let count): "\(count) bytes follow the end of the stream"
            case .presetDictionary: "the stream asks for a preset dictionary, which is not allowed"
            case .invalid(let message): "invalid compressed data: \(message)"
            }
        }
    }

    /// The most compressed bytes read from the source at once, and the most output handed on at once.
    static let pieceSizes = (input: 1 << 20, output: 256 << 10)

    /// Inflates exactly one stream that occupies `count` bytes of `source` from `offset` and produces exactly
    /// `expectedCount` bytes, passing the output to `body` in pieces of at most 256 KiB.
    ///
    /// - Throws: ``Failure`` for a bad stream; errors of the source (reading) and of `body` unchanged.
    public static func stream(_ source: any KRUByteSource, offset: UInt64, count: Int, expectedCount: Int,
                              framing: Framing, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try stream(source, offset: offset, count: count, expectedCount: expectedCount, framing: framing,
                   pieceSizes: pieceSizes, body)
    }

    /// ``stream(_:offset:count:expectedCount:framing:_:)`` with the piece sizes as parameters, so that a test can
    /// reach every piece boundary with small streams.
    static func stream(_ source: any KRUByteSource, offset: UInt64, count: Int, expectedCount: Int, framing: Framing,
                       pieceSizes: (input: Int, output: Int), _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let inflater = try Inflater(framing: framing)
        // Room for one byte past the declared size, so a stream that goes on is caught at the first extra byte.
        let pieceSize = max(1, min(pieceSizes.output, expectedCount + 1))
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: pieceSize, alignment: 16)
        defer { output.deallocate() }
        var input: [UInt8] = []
        var inputUsed = 0, inputRead = 0, produced = 0
        while true {
            if inputUsed == input.count && inputRead < count {
                let n = min(count - inputRead, max(1, pieceSizes.input))
                input = try source.read(at: offset + UInt64(inputRead), count: n)
                inputRead += n
                inputUsed = 0
            }
            let room = min(pieceSize, expectedCount + 1 - produced)
            let step = input.withUnsafeBytes { raw in
                inflater.step(UnsafeRawBufferPointer(rebasing: raw[inputUsed...]),
                              UnsafeMutableRawBufferPointer(rebasing: output[..<room]))
            }
            inputUsed += step.consumed
            if step.produced > 0 {
                let deliverable = min(step.produced, expectedCount - produced)
                produced += step.produced
                if deliverable > 0 { try body(UnsafeRawBufferPointer(rebasing: output[..<deliverable])) }
                if produced > expectedCount { throw Failure.tooLong(declared: expectedCount) }
            }
            switch step.status {
            case Z_STREAM_END:
                let left = (input.count - inputUsed) + (count - inputRead)
                if left > 0 { throw Failure.trailing(left) }
                if produced != expectedCount { throw Failure.tooShort(produced: produced, declared: expectedCount) }
                return
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress was possible. The output always has room (≥ 1 byte until the stream is too long,
                // which threw above), so the input ran out before the end of the stream.
                if inputUsed == input.count && inputRead == count {
                    throw Failure.tooShort(produced: produced, declared: expectedCount)
                }
                if step.consumed == 0 && step.produced == 0 && inputUsed < input.count {
                    throw Failure.invalid("zlib made no progress")
                }
                continue
            case Z_NEED_DICT:
                throw Failure.presetDictionary
            default:
                throw Failure.invalid(inflater.message ?? "corrupt data")
            }
        }
    }

    /// Inflates exactly one stream (as ``stream(_:offset:count:expectedCount:framing:_:)``) into an array that
    /// grows as the bytes arrive; `expectedCount` only caps it.
    public static func inflate(_ source: any KRUByteSource, offset: UInt64, count: Int, expectedCount: Int,
                               framing: Framing) throws -> [UInt8] {
        var output: [UInt8] = []
        try stream(source, offset: offset, count: count, expectedCount: expectedCount, framing: framing) { piece in
            output.append(contentsOf: piece)
        }
        return output
    }

    /// Inflates exactly one stream held in `input`.
    public static func inflate(_ input: [UInt8], expectedCount: Int, framing: Framing) -> Result<[UInt8], Failure> {
        do {
            return .success(try inflate(InMemoryByteSource(input), offset: 0, count: input.count,
                                        expectedCount: expectedCount, framing: framing))
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            // An in-memory source cannot fail to read its own range.
            preconditionFailure("reading bytes in memory failed: \(error)")
        }
    }
}

/// One zlib inflate stream. The `z_stream` lives at a fixed heap address because zlib keeps a pointer back to it.
private final class Inflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    init(framing: BoundedInflate.Framing) throws {
        stream.initialize(to: z_stream())
        // windowBits 15 = zlib framing, −15 = raw DEFLATE. The init macros are not importable: call inflateInit2_
        // with the version and struct size they would pass.
        let windowBits: Int32 = framing == .zlib ? 15 : -15
        let status = ZLIB_VERSION.withCString {
            inflateInit2_(stream, windowBits, $0, Int32(MemoryLayout<z_stream>.size))
        }
        guard status == Z_OK else {
            stream.deallocate()
            throw BoundedInflate.Failure.invalid("zlib could not start (out of memory)")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    var message: String? { stream.pointee.msg.map { String(cString: $0) } }

    /// One call of `inflate` with at most 1 GiB of input and output (zlib's counters are 32-bit).
    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer)
        -> (consumed: Int, produced: Int, status: Int32) {
        let inCount = min(input.count, 1 << 30), outCount = min(output.count, 1 << 30)
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(inCount)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(outCount)
        let status = CZlib.inflate(stream, Z_NO_FLUSH)
        return (inCount - Int(stream.pointee.avail_in), outCount - Int(stream.pointee.avail_out), status)
    }
}

/// CRC-32 (ISO-HDLC, zlib's `crc32`), the checksum of `.kru` tensors and ZIP entries.
public enum CRC32 {
    /// The checksum of `bytes`, or of `bytes` following data whose checksum was `previous`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        var crc = uLong(previous)
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
