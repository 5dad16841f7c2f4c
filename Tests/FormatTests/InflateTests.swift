import Foundation
import Testing
@testable import KRUFormat

/// Bounded, piecewise inflation: the result never depends on where the input and output pieces end (the old loop
/// refused a valid stream whose output filled its buffer exactly as the input ran out — a 1 GiB
/// np.savez_compressed member), and every kind of bad stream is named.
struct InflateTests {
    /// A zlib stream of `count` bytes of a repeating pattern (compressible, so the stream is much shorter).
    private func stream(_ count: Int) -> (raw: [UInt8], zlib: [UInt8]) {
        let raw = (0..<count).map { UInt8(truncatingIfNeeded: ($0 * 7) % 13) }
        return (raw, Zlib.compress(raw))
    }

    @Test(arguments: [1, 2, 3, 7, 16, 64, 1000])
    func everyPieceBoundaryGivesTheSameBytes(pieceSize: Int) throws {
        for count in [0, 1, 63, 64, 65, 1000, 4096] {
            let (raw, zlib) = stream(count)
            for inputPiece in [1, pieceSize, zlib.count, zlib.count + 1] {
                var out: [UInt8] = []
                try BoundedInflate.stream(InMemoryByteSource(zlib), offset: 0, count: zlib.count, expectedCount: count,
                                          framing: .zlib, pieceSizes: (input: inputPiece, output: pieceSize)) {
                    out.append(contentsOf: $0)
                }
                #expect(out == raw, "count \(count), input pieces \(inputPiece), output pieces \(pieceSize)")
            }
        }
    }

    /// Output exactly a multiple of the output piece, input used up in the same call: the case that used to fail.
    @Test func streamEndingOnAPieceBoundaryIsAccepted() throws {
        let (raw, zlib) = stream(1 << 16)
        var produced = 0
        try BoundedInflate.stream(InMemoryByteSource(zlib), offset: 0, count: zlib.count, expectedCount: raw.count,
                                  framing: .zlib, pieceSizes: (input: zlib.count, output: 1 << 12)) {
            produced += $0.count
        }
        #expect(produced == raw.count)
    }

    @Test func badStreamsAreNamed() {
        let (_, zlib) = stream(100)
        func failure(_ bytes: [UInt8], _ expected: Int) -> BoundedInflate.Failure? {
            if case .failure(let f) = BoundedInflate.inflate(bytes, expectedCount: expected, framing: .zlib) {
                return f
            }
            return nil
        }
        #expect(failure(zlib, 99) == .tooLong(declared: 99))
        #expect(failure(zlib, 101) == .tooShort(produced: 100, declared: 101))
        #expect(failure(zlib + [0], 100) == .trailing(1))
        #expect(failure(Array(zlib.dropLast(5)), 100).map { if case .tooShort = $0 { true } else { false } } == true)
        if case .invalid = failure([0x78, 0x9c, 0xff, 0xff, 0xff], 100) {} else {
            Issue.record("invalid data not named")
        }
    }

    /// Random bytes that declare 4 GiB fail at once; the buffer only ever held what was produced.
    @Test func aLieAboutTheSizeCostsNothing() {
        var random = SystemRandomNumberGenerator()
        let junk = [0x78, 0x9c] + (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }
        guard case .failure = BoundedInflate.inflate(junk, expectedCount: 4 << 30, framing: .zlib) else {
            Issue.record("random bytes inflated to 4 GiB")
            return
        }
    }

    @Test func crcContinuesAcrossPieces() {
        let bytes = Array("123456789".utf8)
        let first = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[..<4])) }
        let whole = bytes.withUnsafeBytes {
            CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[4...]), continuing: first)
        }
        #expect(whole == 0xCBF4_3926)
    }

    /// verify() checks a tensor as tensor() does, without keeping it.
    @Test func verifyFindsWhatTensorFinds() throws {
        let tensor = KRUTensor(name: "w", shape: [256], floats: (0..<256).map { Float($0 % 5) })
        var bytes = try KRUWriter(tensors: [tensor], compression: .always).encode()
        let file = try KRUFile(bytes: bytes)
        try file.verify(file.tensors[0])
        bytes[bytes.count - 10] ^= 0x55
        let damaged = try KRUFile(bytes: bytes)
        let fromVerify = #expect(throws: KRUFormatError.self) { try damaged.verify(damaged.tensors[0]) }
        let fromTensor = #expect(throws: KRUFormatError.self) { try damaged.tensor(damaged.tensors[0]) }
        #expect(fromVerify?.code == fromTensor?.code)
    }
}
