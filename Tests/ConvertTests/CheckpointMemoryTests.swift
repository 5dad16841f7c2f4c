import Foundation
import KRUFormat
import Testing
@testable import KRUConvert

/// The crafted files of Tests/Fixtures/memory (tools/make_memory_fixtures.py, real torch.save output where it
/// matters) in process: views stay views, a storage is counted once, decoding is charged to the checkpoint's
/// budget, and what a file only declares is never allocated. Tests/CLITests/MemoryBoundTests.swift measures the
/// peak memory of the built `kru` on the same files.
struct CheckpointMemoryTests {
    /// torch.zeros(1).expand(2**30) and expand(2**32): read as one view of a one-element storage; decoding it
    /// would be gigabytes, so the budget refuses it (max(2^20, 4 × 1) elements).
    @Test(arguments: [("expand_2pow30.pt", 1 << 30), ("expand_2pow32.pt", 1 << 32)])
    func broadcastViewsStayViews(file: String, elements: Int) throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.memoryPath(file))
        let tensor = try #require(checkpoint["w"])
        #expect(tensor.shape == [elements])
        #expect(tensor.storageElementCount == 1)
        let error = expectCheckpointError { try tensor.values() }
        #expect(error?.kind == .limitExceeded(.materializedElements))
        #expect(error?.message.contains("a view of a 1-element storage") == true)
    }

    /// 2,000 views of one 2^14-element storage: one storage, read once; decoding stops when the decoded total
    /// passes max(2^20, 4 × 2^14) elements.
    @Test func namesSharingOneStorageAreChargedAgainstIt() throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.memoryPath("shared_storage_2000.pt"))
        #expect(checkpoint.tensors.count == 2000)
        #expect(Set(checkpoint.tensors.compactMap(\.storageName)).count == 1)
        var decoded = 0, total = 0
        for (i, tensor) in checkpoint.tensors.enumerated() {
            do {
                let values = try tensor.floats()
                // View i starts at element i of arange(2^14).
                #expect(values.count == (1 << 14) - i && values.first == Float(i))
                decoded += 1
                total += values.count
            } catch let error as CheckpointError {
                #expect(error.kind == .limitExceeded(.materializedElements))
                #expect(total + tensor.elementCount > 1 << 20)
                break
            }
        }
        #expect(decoded >= 60 && decoded < 2000)
    }

    /// np.savez_compressed of 2^24 float32 zeros: the 64 MiB member is checked in pieces when read and inflated
    /// only when asked for.
    @Test func validCompressedMemberIsAccepted() throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.memoryPath("zeros.npz"))
        let values = try #require(checkpoint["w"]).floats()
        #expect(values.count == 1 << 24 && values.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [
        ("pickle_list_bomb.pt", CheckpointError.Kind.limitExceeded(.memoryBudget)),
        ("zip_storage_declaring.pt", .zipInflateFailed),
        ("npz_declaring.npz", .zipInflateFailed),
    ])
    func declaredSizesAreNotTrusted(file: String, kind: CheckpointError.Kind) {
        let error = expectCheckpointError { try Checkpoint.read(path: CheckpointFixtures.memoryPath(file)) }
        #expect(error?.kind == kind, "\(file): \(error.map(String.init(describing:)) ?? "no error")")
    }

    /// The object budget counts bytes, not only objects: a pickle of empty lists small enough for the object
    /// count is still refused by its memory.
    @Test func pickleObjectsAreChargedInBytes() {
        var options = CheckpointReadOptions()
        options.limits.maxPickleObjects = .max
        let error = expectCheckpointError {
            try Checkpoint.read(path: CheckpointFixtures.memoryPath("pickle_list_bomb.pt"), options: options)
        }
        #expect(error?.kind == .limitExceeded(.memoryBudget))
        #expect(error?.message.contains("containers so far") == true)
    }

    /// A legacy file read from a prefix far smaller than its pickles gives the same checkpoint: the prefix grows.
    @Test(arguments: [UInt64(1), 64, 1000])
    func legacyPicklesAreReadFromAGrowingPrefix(firstPrefix: UInt64) throws {
        let path = CheckpointFixtures.torchPath("gru_l2.legacy.pt")
        let source = try FileByteSource(path: path)
        var memory = MemoryBudget(limits: .standard, fileSize: source.size)
        let grown = try TorchLegacyReader.read(source, options: CheckpointReadOptions(),
                                               context: CheckpointContext(file: path),
                                               memory: &memory, firstPrefix: firstPrefix)
        let whole = try Checkpoint.read(path: path)
        #expect(grown.tensors.map(\.name) == whole.tensors.map(\.name))
        for (a, b) in zip(grown.tensors, whole.tensors) {
            #expect(try a.values() == b.values())
        }
    }
}

/// The per-value cost the pickle budget assumes holds: values stay small because large payloads are boxed.
@Test func pickleValuesStaySmall() {
    #expect(MemoryLayout<PickleValue>.stride <= 24, "PickleValue is \(MemoryLayout<PickleValue>.stride) bytes")
}
