import Foundation
import KRUFormat
import Testing
@testable import KRUConvert

/// Damaged copies of the real fixtures — truncated, bytes overwritten, pickles edited behind a valid CRC —
/// either read (with self-consistent tensors) or fail with a ``CheckpointError``; never a crash or another error.
struct CheckpointMutationTests {
    static let files = ["gru_l2.pt", "gru_l2.legacy.pt", "gru_l2.lightning.ckpt", "gru_l2.safetensors",
                        "gru_l2.weights.npz", "gru_l2.npz", "lstm_l2.noncontig.pt", "lstm_l2.bf16.pt"]

    /// Reads `bytes`; success must give consistent tensors, failure must be a CheckpointError.
    private func readSurvives(_ bytes: [UInt8], _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let checkpoint = try Checkpoint.read(bytes: bytes, name: label)
            for tensor in checkpoint.tensors {
                #expect(try tensor.values().count == tensor.shape.reduce(1, *), "\(label): \(tensor.name)",
                        sourceLocation: sourceLocation)
            }
        } catch is CheckpointError {
        } catch {
            Issue.record("\(label): \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: files)
    func truncations(file: String) throws {
        let bytes = try CheckpointFixtures.bytes(CheckpointFixtures.torchPath(file))
        // Every cut near the start and the end (headers, directories), every 7th in between.
        let cuts = Set(Array(0..<min(300, bytes.count)) + Array(max(0, bytes.count - 300)..<bytes.count)
                       + Array(stride(from: 0, to: bytes.count, by: 7)))
        for length in cuts.sorted() {
            let cut = Array(bytes[..<length])
            do {
                _ = try Checkpoint.read(bytes: cut, name: "\(file)[..<\(length)]")
                Issue.record("\(file) cut to \(length) bytes was accepted")
            } catch is CheckpointError {
            } catch {
                Issue.record("\(file) cut to \(length): \(error)")
            }
        }
    }

    @Test(arguments: files)
    func byteOverwrites(file: String) throws {
        let original = try CheckpointFixtures.bytes(CheckpointFixtures.torchPath(file))
        var random = SplitMix64(state: UInt64(file.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        for round in 0..<400 {
            var bytes = original
            for _ in 0...random.below(4) {
                bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
            }
            readSurvives(bytes, "\(file) overwrite round \(round)")
        }
    }

    /// The CRC-32 of ZIP entries catches nearly every byte flip in a pickle before the pickle machine sees it,
    /// so here the pickle is edited and the directory's CRC recomputed: the machine and the state-dict walk
    /// get the damaged pickle itself.
    @Test(arguments: ["gru_l2.lightning.ckpt", "lstm_l2.params.pt", "gru_l2.noncontig.pt"])
    func pickleEditsBehindAValidChecksum(file: String) throws {
        let original = try CheckpointFixtures.bytes(CheckpointFixtures.torchPath(file))
        let archive = try ZipArchive(source: InMemoryByteSource(original), context: CheckpointContext(file: file),
                                     limits: .standard)
        let entry = try #require(archive.entries.first { $0.name.hasSuffix("/data.pkl") })
        let localNameLength = Int(original[Int(entry.localHeaderOffset) + 26])
            | Int(original[Int(entry.localHeaderOffset) + 27]) << 8
        let localExtraLength = Int(original[Int(entry.localHeaderOffset) + 28])
            | Int(original[Int(entry.localHeaderOffset) + 29]) << 8
        let start = Int(entry.localHeaderOffset) + 30 + localNameLength + localExtraLength
        let range = start..<(start + Int(entry.uncompressedSize))
        let crcAt = try #require(centralRecordOffset(of: entry.nameBytes, in: original)) + 16

        var random = SplitMix64(state: 0x5eed)
        var accepted = 0
        for round in 0..<1500 {
            var bytes = original
            for _ in 0...random.below(3) {
                let at = range.lowerBound + random.below(range.count)
                // Half the edits change a byte at random; half swap in an opcode, to reach more of the machine.
                let opcodes: [UInt8] = Array("()t}]aeusqhjcRbQ0123.NKJMXGr".utf8)
                    + [0x80, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x93, 0x94, 0x95]
                bytes[at] = random.below(2) == 0 ? UInt8(truncatingIfNeeded: random.next())
                                                 : opcodes[random.below(opcodes.count)]
            }
            let crc = CRC32.checksum(Array(bytes[range]))
            for i in 0..<4 { bytes[crcAt + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
            do {
                _ = try Checkpoint.read(bytes: bytes, name: "\(file) pickle edit \(round)")
                accepted += 1
            } catch is CheckpointError {
            } catch {
                Issue.record("\(file) pickle edit \(round): \(error)")
            }
        }
        // Most edits must be caught, but some (a changed digit in a value) are legitimately readable.
        #expect(accepted < 1500)
    }

    /// Edits inside the .npy of an npz entry, read directly (the entry's CRC would catch them otherwise).
    @Test func npyEdits() throws {
        let npz = try CheckpointFixtures.bytes(CheckpointFixtures.torchPath("gru_l2.npz"))
        let archive = try ZipArchive(source: InMemoryByteSource(npz), context: CheckpointContext(file: "npz"),
                                     limits: .standard)
        let original = try archive.read(try #require(archive.entry(named: "rnn.weight_hh_l0.npy")))
        var random = SplitMix64(state: 42)
        for round in 0..<2000 {
            var bytes = original
            // Mostly the header (the first 128 bytes), where the parser lives.
            let at = random.below(4) == 0 ? random.below(bytes.count) : random.below(128)
            bytes[at] = UInt8(truncatingIfNeeded: random.next())
            do {
                let array = try NumPyArray.decode(bytes, name: "npy edit \(round)")
                #expect(array.values.count == array.shape.reduce(1, *))
            } catch is CheckpointError {
            } catch {
                Issue.record("npy edit \(round): \(error)")
            }
        }
    }

    /// Edits inside the JSON header of a safetensors file.
    @Test func safetensorsHeaderEdits() throws {
        let original = try CheckpointFixtures.bytes(CheckpointFixtures.torchPath("gru_l2.safetensors"))
        var random = SplitMix64(state: 7)
        let headerEnd = 8 + Int(original[0]) + Int(original[1]) << 8
        let tokens = Array("{}[]\",:0123456789-.eE ".utf8)
        for round in 0..<2000 {
            var bytes = original
            let at = random.below(headerEnd)
            bytes[at] = random.below(2) == 0 ? tokens[random.below(tokens.count)]
                                             : UInt8(truncatingIfNeeded: random.next())
            readSurvives(bytes, "safetensors edit \(round)")
        }
    }

    private func centralRecordOffset(of name: [UInt8], in bytes: [UInt8]) -> Int? {
        var i = 0
        while i + 46 + name.count <= bytes.count {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4b, bytes[i + 2] == 0x01, bytes[i + 3] == 0x02,
               Array(bytes[(i + 46)..<(i + 46 + name.count)]) == name { return i }
            i += 1
        }
        return nil
    }
}
