import Foundation
import Testing
@testable import KRUConvert

/// Each crafted file in Tests/Fixtures/hostile (tools/make_hostile_fixtures.py) gives its specific typed
/// error: no crash, no hang, no large allocation, and nothing executed.
struct CheckpointHostileTests {
    static let expected: [String: CheckpointError.Kind] = [
        "reduce_os_system.pt": .refusedGlobal("os.system"),
        "reduce_builtins_eval.pt": .refusedGlobal("builtins.eval"),
        "stack_global_popen.pt": .refusedGlobal("subprocess.Popen"),
        "module_reduce_os_system.pt": .refusedGlobal("posix.system"),
        "module_newobj_popen.pt": .refusedGlobal("subprocess.Popen"),
        "scripted_jit_load.pt": .refusedGlobal("torch.jit.load"),
        "setstate_root.pt": .notAStateDict,
        "module_cycle.pt": .limitExceeded(.nestingDepth),
        "module_fanout.pt": .limitExceeded(.memoryBudget),
        "missing_storage.pt": .missingEntry("archive/data/1"),
        "stride_past_storage.pt": .tensorOutOfBounds,
        "absurd_shape.pt": .limitExceeded(.tensorElements),
        "deep_marks.pt": .limitExceeded(.pickleMarkDepth),
        "deep_lists.pt": .limitExceeded(.nestingDepth),
        "memo_bomb.pt": .limitExceeded(.metadataValues),
        "self_containing_list.pt": .limitExceeded(.nestingDepth),
        "protocol0_inst.pt": .pickleUnsupportedOpcode(0x69),
        "dict_key_rehash.pt": .limitExceeded(.pickleKeyBytes),
        "truncated.pt": .zipEndRecordMissing,
        "zip64_2pow32_entries.npz": .limitExceeded(.zipEntries),
        "deflate_bomb.npz": .zipSizeMismatch,
        "zip_encrypted.npz": .zipEncrypted,
        "zip_overlapping_entries.npz": .zipOverlappingEntries,
        "zip_crc_mismatch.npz": .zipChecksumMismatch,
        "zip_multidisk.npz": .zipMultiDisk,
        "npy_header_import.npy": .npyBadHeader,
        "npy_short_data.npy": .dataSizeMismatch,
        "safetensors_overlap.safetensors": .safetensorsBadOffsets,
        "safetensors_huge_header.safetensors": .limitExceeded(.safetensorsHeaderBytes),
    ]

    /// Hostile files that must read, quickly (they attacked the time a reader takes, not its answers).
    static let readable = ["nested_prefixes.pt", "module_setstate_payload.pt"]

    /// The os.system payload would create this file; reading must never make it appear.
    static let pwnedMarker = "/tmp/kru-pwned"

    @Test(arguments: expected.keys.sorted())
    func givesItsSpecificError(file: String) throws {
        let path = CheckpointFixtures.hostilePath(file)
        let error = expectCheckpointError { try Checkpoint.read(path: path) }
        #expect(error?.kind == Self.expected[file], "\(file): \(error.map(String.init(describing:)) ?? "no error")")
        #expect(error?.file == path)
        #expect(error?.message.isEmpty == false)
        #expect(!FileManager.default.fileExists(atPath: Self.pwnedMarker))
    }

    /// The same from memory, so the in-memory path is as safe as the file path.
    @Test(arguments: expected.keys.sorted())
    func givesItsSpecificErrorFromMemory(file: String) throws {
        let bytes = try CheckpointFixtures.bytes(CheckpointFixtures.hostilePath(file))
        let error = expectCheckpointError { try Checkpoint.read(bytes: bytes, name: file) }
        #expect(error?.kind == Self.expected[file])
    }

    /// No fixture goes untested: every file the generator wrote has an expectation here.
    @Test func everyHostileFileHasAnExpectation() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: CheckpointFixtures.hostile.path)
            .filter { $0 != "README.md" }
        #expect(Set(files) == Set(Self.expected.keys).union(Self.readable))
    }

    /// Even when unknown calls are tolerated as inert objects, modules that can run code stay refused.
    @Test(arguments: ["reduce_os_system.pt", "reduce_builtins_eval.pt", "stack_global_popen.pt",
                      "module_reduce_os_system.pt", "module_newobj_popen.pt", "scripted_jit_load.pt"])
    func codeExecutionRefusedEvenWhenInertObjectsAllowed(file: String) throws {
        var options = CheckpointReadOptions()
        options.unknownCalls = .keepInert
        let error = expectCheckpointError {
            try Checkpoint.read(path: CheckpointFixtures.hostilePath(file), options: options)
        }
        #expect(error?.kind == Self.expected[file])
    }

    /// A class whose `__setstate__` Python would call with a command is an inert record: the model around it
    /// reads, its module types are known, and the record is neither a module nor an attribute.
    @Test func aSetstatePayloadStaysInert() throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.hostilePath("module_setstate_payload.pt"))
        #expect(checkpoint.tensors.map(\.name) == ["fc.weight"])
        #expect(checkpoint.modules.map(\.type) == ["model.Net", "torch.nn.modules.linear.Linear"])
        #expect(checkpoint.module(at: "")?.attribute("payload") == nil)
        #expect(!FileManager.default.fileExists(atPath: Self.pwnedMarker))
    }

    @Test func refusalNamesTheGlobalTheEntryAndTheOffset() throws {
        let error = expectCheckpointError {
            try Checkpoint.read(path: CheckpointFixtures.hostilePath("reduce_os_system.pt"))
        }
        #expect(error?.location == "zip entry 'archive/data.pkl', byte 227")
        #expect(error?.message.contains("os.system") == true)
        #expect(error?.description.contains("reduce_os_system.pt") == true)
    }

    /// 100,000 nested `module.` wrappers: stripping stops after 16, instead of copying the name 100,000 times.
    @Test func prefixStrippingIsBounded() throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.hostilePath("nested_prefixes.pt"))
        #expect(checkpoint.strippedPrefixes == Array(repeating: "module.", count: 16))
        #expect(checkpoint.tensors.first?.name == String(repeating: "module.", count: 100_000 - 16) + "weight")
    }

    @Test func bombsStopAtTheirDeclaredSize() throws {
        let error = expectCheckpointError {
            try Checkpoint.read(path: CheckpointFixtures.hostilePath("deflate_bomb.npz"))
        }
        #expect(error?.message.contains("more than the declared 1000 bytes") == true)
    }

    /// A limit lowered by the caller is honoured (and named) too.
    @Test func lowerLimitsAreHonoured() throws {
        var options = CheckpointReadOptions()
        options.limits.maxPickleMarkDepth = 10
        options.limits.maxTensorElements = 3
        let error = expectCheckpointError {
            try Checkpoint.read(path: CheckpointFixtures.torchPath("gru_l2.pt"), options: options)
        }
        #expect(error?.kind == .limitExceeded(.tensorElements))
        options = CheckpointReadOptions()
        options.limits.maxZipEntries = 3
        let zip = expectCheckpointError {
            try Checkpoint.read(path: CheckpointFixtures.torchPath("gru_l2.pt"), options: options)
        }
        #expect(zip?.kind == .limitExceeded(.zipEntries))
    }
}
