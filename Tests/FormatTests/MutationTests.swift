import Testing
@testable import KRUFormat

/// Thousands of damaged variants of valid files: every one must be either a valid file or a typed
/// `KRUFormatError` — never a crash, a hang, another error type, or a silent acceptance of damage.
struct MutationTests {
    /// Small valid files that exercise every part of the format.
    static let bases: [[UInt8]] = {
        let metadata = Array(RoundTripTests.metadata.prefix(6))
            + [KRUMetadataEntry("kru.vocab", .stringArray(["a", "b"]))]
        let compressible = KRUTensor(name: "zeros", shape: [64], floats: [Float](repeating: 0.5, count: 64))
        return [
            try! KRUWriter(metadata: metadata, tensors: Array(RoundTripTests.everyDType(seed: 11).prefix(4))).encode(),
            try! KRUWriter(tensors: [compressible, KRUTensor(name: "s", shape: [], doubles: [2])],
                           compression: .automatic).encode(),
            try! KRUWriter(metadata: [KRUMetadataEntry("general.name", .string("x"))]).encode(),
        ]
    }()

    enum Outcome: Hashable { case valid, rejected(KRUFormatError.Code) }

    /// Opens and fully checks `bytes`; any error other than a `KRUFormatError` fails the test.
    static func outcome(_ bytes: [UInt8]) -> Outcome {
        do {
            try KRUFile(bytes: bytes).verifyAllTensors()
            return .valid
        } catch let error as KRUFormatError {
            return .rejected(error.code)
        } catch {
            Issue.record("untyped error \(error)")
            return .valid
        }
    }

    @Test func everyTruncationIsRejected() {
        for base in Self.bases {
            for length in 0..<base.count {
                #expect(Self.outcome(Array(base.prefix(length))) != .valid, "prefix of \(length) bytes accepted")
            }
        }
    }

    /// A flip is either rejected or harmless: the file then holds exactly the original content. (Harmless flips
    /// exist: the minor version, and the unused bits after the final DEFLATE block.)
    @Test func everySingleBitFlipIsDetectedOrHarmless() throws {
        for base in Self.bases {
            let original = try Self.content(base)
            for bit in 0..<base.count * 8 {
                var damaged = base
                damaged[bit / 8] ^= 1 << UInt8(bit % 8)
                if Self.outcome(damaged) == .valid {
                    #expect(try Self.content(damaged) == original, "flip of bit \(bit) changed the content unnoticed")
                }
            }
        }
    }

    static func content(_ bytes: [UInt8]) throws -> ([KRUMetadataEntry], [KRUTensor]) {
        let file = try KRUFile(bytes: bytes)
        return (file.metadata, try file.tensors.map { try file.tensor($0) })
    }

    @Test func bitFlipsBehindAValidChecksumGiveTypedErrors() {
        var codes = Set<Outcome>()
        for base in Self.bases {
            for bit in 0..<base.count * 8 {
                var damaged = base
                damaged[bit / 8] ^= 1 << UInt8(bit % 8)
                codes.insert(Self.outcome(directoryCRCRepaired(damaged)))
            }
        }
        // The damage must reach deep into the parser, not stop at one check.
        #expect(codes.count >= 12, "only \(codes) were reached")
    }

    @Test func fieldOverwritesWithHostileValuesGiveTypedErrors() {
        let hostile: [UInt64] = [0, 1, 0x7F, 0xFF, 0xFFFF, 0xFFFF_FFFF, 1 << 40, (1 << 40) + 1, 1 << 63, .max]
        var variants = 0
        for base in Self.bases {
            for offset in 0..<base.count {
                for value in hostile {
                    for width in [1, 2, 4, 8] where offset + width <= base.count {
                        var damaged = base
                        for i in 0..<width { damaged[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
                        _ = Self.outcome(directoryCRCRepaired(damaged))
                        variants += 1
                    }
                }
            }
        }
        #expect(variants > 10_000)
    }

    @Test func randomMultiByteDamageGivesTypedErrors() {
        var generator = SplitMix64(seed: 2026)
        for _ in 0..<5_000 {
            var damaged = Self.bases[generator.below(Self.bases.count)]
            for _ in 0..<(1 + generator.below(8)) {
                damaged[generator.below(damaged.count)] = UInt8(truncatingIfNeeded: generator.next())
            }
            if generator.below(2) == 0 { damaged = directoryCRCRepaired(damaged) }
            if generator.below(4) == 0 { damaged.removeLast(generator.below(damaged.count)) }
            _ = Self.outcome(damaged)
        }
    }
}
