import KRUFormat
import Testing
@testable import KRUConvert

/// ZIP container details on archives built in memory.
struct CheckpointZipTests {
    private let npy: [UInt8] = try! NumPyArray(shape: [2], values: .float([1, 2])).encoded()

    private func kind(_ bytes: [UInt8]) -> CheckpointError.Kind? {
        expectCheckpointError { try Checkpoint.read(bytes: bytes, format: .npz) }?.kind
    }

    @Test func commentAfterTheEndRecordIsFine() throws {
        let checkpoint = try Checkpoint.read(bytes: TestZip.stored([("w.npy", npy)],
                                                                   comment: Array("made by hand".utf8)))
        #expect(checkpoint.format == .npz)
        #expect(try checkpoint["w"]?.floats() == [1, 2])
    }

    @Test func emptyArchiveIsAnEmptyNpz() throws {
        let checkpoint = try Checkpoint.read(bytes: TestZip.stored([]))
        #expect(checkpoint.format == .npz)
        #expect(checkpoint.tensors.isEmpty)
    }

    @Test func nonNpyEntriesAreSkipped() throws {
        let checkpoint = try Checkpoint.read(bytes: TestZip.stored([("w.npy", npy), ("README", [0x41])]))
        #expect(checkpoint.tensors.map(\.name) == ["w"])
        #expect(checkpoint.skippedEntries == ["README: not a .npy entry"])
    }

    @Test func archiveOfOtherFilesIsNotACheckpoint() {
        let error = expectCheckpointError { try Checkpoint.read(bytes: TestZip.stored([("a.txt", [0x41])])) }
        #expect(error?.kind == .unknownFormat)
    }

    @Test func junkAfterTheEndRecordHidesIt() {
        #expect(kind(TestZip.stored([("w.npy", npy)]) + [0, 0, 0]) == .zipEndRecordMissing)
    }

    @Test func duplicateNames() {
        #expect(kind(TestZip.stored([("w.npy", npy), ("w.npy", npy)])) == .zipDuplicateEntry("w.npy"))
    }

    @Test func damagedFields() {
        let good = TestZip.stored([("w.npy", npy)])
        let localName = 30, central = 30 + 5 + npy.count
        func patched(_ at: Int, _ bytes: [UInt8]) -> [UInt8] {
            var copy = good
            copy.replaceSubrange(at..<(at + bytes.count), with: bytes)
            return copy
        }
        #expect(kind(patched(localName, Array("v".utf8))) == .zipHeaderMismatch)               // local name differs
        #expect(kind(patched(8, [8, 0])) == .zipHeaderMismatch)                                 // local method differs
        #expect(kind(patched(central + 10, [9, 0])) == .zipUnsupportedMethod(9))               // both say method 9
        #expect(kind(patched(central, [0, 0, 0, 0])) == .zipMalformed)                          // central signature
        #expect(kind(patched(0, [0x50, 0x4b, 9, 9])) == .zipMalformed)                          // local signature
        #expect(kind(patched(central + 42, [0xff, 0, 0, 0])) == .zipMalformed)     // data would run into the directory
        #expect(kind(patched(central + 20, [0xff, 0xff, 0, 0])) == .zipMalformed)  // compressed size past the directory
        #expect(kind(patched(central + 24, [1, 0, 0, 0])) == .zipHeaderMismatch)   // local and central sizes differ
        var storedMismatch = patched(central + 24, [1, 0, 0, 0])
        storedMismatch.replaceSubrange(22..<26, with: [1, 0, 0, 0])
        #expect(kind(storedMismatch) == .zipSizeMismatch)                          // STORED: stored ≠ declared
        #expect(kind(patched(central + 28, [0xff, 0xff])) == .limitExceeded(.zipEntryNameBytes))
        #expect(kind(patched(central + 28, [0x10, 0])) == .truncated)              // name past the directory
    }

    @Test func deflateClaimsBeyond1032To1AreRefusedBeforeInflating() {
        var archive = TestZip.stored([("w.npy", npy)])
        let central = 30 + 5 + npy.count
        // Method 8 in both headers, declared size 2^31 for npy.count stored bytes.
        archive.replaceSubrange(8..<10, with: [8, 0])
        archive.replaceSubrange((central + 10)..<(central + 12), with: [8, 0])
        archive.replaceSubrange(22..<26, with: [0, 0, 0, 0x80])
        archive.replaceSubrange((central + 24)..<(central + 28), with: [0, 0, 0, 0x80])
        #expect(kind(archive) == .zipSizeMismatch)
    }

    @Test func inflationHonoursTheGlobalCap() throws {
        var options = CheckpointReadOptions()
        options.limits.maxTotalInflatedBytes = 1000
        let error = expectCheckpointError {
            try Checkpoint.read(path: CheckpointFixtures.torchPath("gru_l2.weights.npz"), options: options)
        }
        #expect(error?.kind == .limitExceeded(.totalInflatedBytes))
    }

    @Test func rawInflateReportsEachFailure() {
        // A stored DEFLATE block holding "abc".
        let block: [UInt8] = [0x01, 0x03, 0x00, 0xfc, 0xff, 0x61, 0x62, 0x63]
        if case .success(let bytes) = BoundedInflate.inflate(block, expectedCount: 3, framing: .raw) {
            #expect(bytes == Array("abc".utf8))
        } else {
            Issue.record("inflate")
        }
        guard case .failure(.tooLong) = BoundedInflate.inflate(block, expectedCount: 2, framing: .raw) else {
            Issue.record("too long")
            return
        }
        guard case .failure(.tooShort) = BoundedInflate.inflate(block, expectedCount: 4, framing: .raw) else {
            Issue.record("too short")
            return
        }
        guard case .failure(.trailing) = BoundedInflate.inflate(block + [0], expectedCount: 3, framing: .raw) else {
            Issue.record("trailing")
            return
        }
        guard case .failure(.invalid) = BoundedInflate.inflate([0xff, 0xff], expectedCount: 3, framing: .raw) else {
            Issue.record("invalid")
            return
        }
        guard case .failure(.tooShort) = BoundedInflate.inflate(Array(block.prefix(6)), expectedCount: 3,
                                                                framing: .raw) else {
            Issue.record("cut")
            return
        }
    }

    @Test func sniffingNeverTrustsTheExtension() {
        #expect(expectCheckpointError { try Checkpoint.read(bytes: [], name: "x.pt") }?.kind == .unknownFormat)
        #expect(expectCheckpointError {
            try Checkpoint.read(bytes: Array("hello world".utf8), name: "x.safetensors")
        }?.kind == .unknownFormat)
        #expect(expectCheckpointError {
            try Checkpoint.read(bytes: P.proto2 + P.none + P.stop, name: "x.pkl")
        }?.message.contains("bare pickle") == true)
    }
}
