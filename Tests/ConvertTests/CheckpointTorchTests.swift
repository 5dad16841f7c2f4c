import Foundation
import Testing
@testable import KRUConvert

/// Torch archives built by hand around crafted pickles: byte order, prefixes, storage sharing and lies,
/// Lightning-style wrappers and the inert-object policy.
struct CheckpointTorchTests {
    private func read(_ bytes: [UInt8], options: CheckpointReadOptions = CheckpointReadOptions()) throws -> Checkpoint {
        try Checkpoint.read(bytes: bytes, name: "test.pt", options: options)
    }

    @Test func bigEndianStoragesAreConverted() throws {
        let values: [Float] = [1.5, -2, 3.25, 0]
        let big = values.flatMap { v in
            (0..<4).reversed().map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) }
        }
        let pickle = P.stateDict([("w", P.tensor(key: "0", numel: 4, size: [2, 2], stride: [2, 1]))])
        let checkpoint = try read(TestZip.torch(pickle: pickle, storages: [("0", big)], byteOrder: "big"))
        #expect(try checkpoint["w"]?.floats() == values)
    }

    @Test func unknownByteOrderIsRefused() throws {
        let pickle = P.stateDict([("w", P.tensor(key: "0", numel: 1, size: [1], stride: [1]))])
        let error = expectCheckpointError {
            try read(TestZip.torch(pickle: pickle, storages: [("0", floatBytes([1]))], byteOrder: "middle"))
        }
        #expect(error?.kind == .torchMalformed)
    }

    @Test func integerHalfAndDoubleStorages() throws {
        let pickle = P.stateDict([
            ("steps", P.tensor(key: "0", numel: 2, size: [2], stride: [1], type: "LongStorage")),
            ("mask", P.tensor(key: "1", numel: 3, size: [3], stride: [1], type: "BoolStorage")),
            ("half", P.tensor(key: "2", numel: 2, size: [2], stride: [1], type: "HalfStorage")),
            ("double", P.tensor(key: "3", numel: 1, size: [], stride: [], type: "DoubleStorage")),
        ])
        let storages: [(String, [UInt8])] = [
            ("0", TestZip.le(Int64(-5), 8) + TestZip.le(Int64(1) << 40, 8)),
            ("1", [0, 1, 2]),
            ("2", [0x00, 0x3c, 0x00, 0xc0]),  // 1.0, -2.0
            ("3", TestZip.le((0.1 as Double).bitPattern, 8)),
        ]
        let checkpoint = try read(TestZip.torch(pickle: pickle, storages: storages))
        #expect(try checkpoint["steps"]?.values() == .integer([-5, 1 << 40]))
        #expect(try checkpoint["mask"]?.values() == .integer([0, 1, 1]))
        #expect(try checkpoint["half"]?.values() == .float([1, -2]))
        #expect(try checkpoint["double"]?.values() == .double([0.1]))
        #expect(checkpoint["double"]?.shape == [])
    }

    @Test func emptyTensorNeedsNoData() throws {
        let pickle = P.stateDict([("e", P.tensor(key: "0", numel: 0, size: [0, 5], stride: [5, 1]))])
        let checkpoint = try read(TestZip.torch(pickle: pickle, storages: [("0", [])]))
        #expect(checkpoint["e"]?.shape == [0, 5])
        #expect(checkpoint["e"]?.elementCount == 0)
    }

    @Test func storageSizeMustMatchItsPersistentID() throws {
        let pickle = P.stateDict([("w", P.tensor(key: "0", numel: 4, size: [4], stride: [1]))])
        let error = expectCheckpointError {
            try read(TestZip.torch(pickle: pickle, storages: [("0", floatBytes([1, 2, 3]))]))
        }
        #expect(error?.kind == .torchMalformed)
    }

    @Test func sharedStorageWithTwoTypesIsRefused() throws {
        let pickle = P.stateDict([
            ("a", P.tensor(key: "0", numel: 2, size: [2], stride: [1])),
            ("b", P.tensor(key: "0", numel: 2, size: [2], stride: [1], type: "IntStorage")),
        ])
        let error = expectCheckpointError {
            try read(TestZip.torch(pickle: pickle, storages: [("0", floatBytes([1, 2]))]))
        }
        #expect(error?.kind == .torchMalformed)
    }

    @Test func negativeStrideAndOffsetAreRefused() throws {
        for tensor in [P.tensor(key: "0", numel: 4, size: [2], stride: [-1], offset: 3),
                       P.tensor(key: "0", numel: 4, size: [2], stride: [1], offset: -1)] {
            let error = expectCheckpointError {
                try read(TestZip.torch(pickle: P.stateDict([("w", tensor)]),
                                       storages: [("0", floatBytes([1, 2, 3, 4]))]))
            }
            #expect(error?.kind == .tensorOutOfBounds)
        }
    }

    @Test func complexStoragesAreUnsupported() throws {
        let pickle = P.stateDict([("w", P.tensor(key: "0", numel: 1, size: [1], stride: [1],
                                                 type: "ComplexFloatStorage"))])
        let error = expectCheckpointError {
            try read(TestZip.torch(pickle: pickle, storages: [("0", floatBytes([1, 2]))]))
        }
        #expect(error?.kind == .unsupportedStorage("torch.ComplexFloatStorage"))
    }

    /// `{'model_state_dict': ..., 'optimizer_state_dict': ...}`: the only dict of tensors is chosen.
    @Test func nestedStateDictIsFound() throws {
        let weights = P.orderedDict + P.mark + P.str("module.w") + P.tensor(key: "0", numel: 2, size: [2], stride: [1])
            + P.setitems
        let optimizer = P.emptyDict + P.mark + P.str("state") + P.emptyDict + P.str("param_groups") + P.emptyList
            + P.setitems
        let pickle = P.proto2 + P.emptyDict + P.mark + P.str("epoch") + P.int(7) + P.str("model_state_dict") + weights
            + P.str("optimizer_state_dict") + optimizer + P.setitems + P.stop
        let checkpoint = try read(TestZip.torch(pickle: pickle, storages: [("0", floatBytes([1, 2]))]))
        #expect(checkpoint.stateDictKey == "model_state_dict")
        #expect(checkpoint.strippedPrefixes == ["module."])
        #expect(checkpoint.tensors.map(\.name) == ["w"])
        #expect(checkpoint.metadata("epoch") == .int(7))
        #expect(checkpoint.metadata("optimizer_state_dict") == .dictionary([
            CheckpointMetadataEntry(key: "state", value: .dictionary([])),
            CheckpointMetadataEntry(key: "param_groups", value: .list([])),
        ]))
    }

    @Test func explicitStateDictKey() throws {
        let weights = P.orderedDict + P.mark + P.str("w") + P.tensor(key: "0", numel: 1, size: [1], stride: [1])
            + P.setitems
        let pickle = P.proto2 + P.emptyDict + P.mark + P.str("ema") + weights + P.setitems + P.stop
        var options = CheckpointReadOptions()
        options.stateDictKey = "ema"
        let checkpoint = try read(TestZip.torch(pickle: pickle, storages: [("0", floatBytes([1]))]), options: options)
        #expect(checkpoint.stateDictKey == "ema")
        options.stateDictKey = "missing"
        let error = expectCheckpointError {
            try read(TestZip.torch(pickle: pickle, storages: [("0", floatBytes([1]))]), options: options)
        }
        #expect(error?.kind == .notAStateDict)
    }

    @Test func aTensorAloneIsNotAStateDict() throws {
        let pickle = P.proto2 + P.tensor(key: "0", numel: 1, size: [1], stride: [1]) + P.stop
        let error = expectCheckpointError {
            try read(TestZip.torch(pickle: pickle, storages: [("0", floatBytes([1]))]))
        }
        #expect(error?.kind == .notAStateDict)
    }

    /// An OrderedDict's `_metadata` attribute (set by BUILD) is not an entry.
    @Test func buildStateIsNotMergedIntoTheDict() throws {
        let pickle = P.proto2 + P.orderedDict + P.mark + P.str("w")
            + P.tensor(key: "0", numel: 1, size: [1], stride: [1]) + P.setitems
            + P.emptyDict + P.str("_metadata") + P.orderedDict + P.setitem + P.build + P.stop
        let checkpoint = try read(TestZip.torch(pickle: pickle, storages: [("0", floatBytes([1]))]))
        #expect(checkpoint.tensors.map(\.name) == ["w"])
        #expect(checkpoint.metadata.isEmpty)
    }

    /// Lightning hyper_parameters holding a user object: refused by default, an inert description if asked.
    @Test func unknownObjectsInHyperParameters() throws {
        let namespace = P.global("argparse", "Namespace") + P.emptyTuple + P.reduce
            + P.emptyDict + P.str("lr") + P.int(3) + P.setitem + P.build
        let pickle = P.proto2 + P.emptyDict + P.mark
            + P.str("state_dict") + P.orderedDict + P.mark + P.str("model.w")
            + P.tensor(key: "0", numel: 1, size: [1], stride: [1]) + P.setitems
            + P.str("hyper_parameters") + namespace + P.setitems + P.stop
        let archive = TestZip.torch(pickle: pickle, storages: [("0", floatBytes([2]))])
        let error = expectCheckpointError { try read(archive) }
        #expect(error?.kind == .refusedGlobal("argparse.Namespace"))
        var options = CheckpointReadOptions()
        options.unknownCalls = .keepInert
        let checkpoint = try read(archive, options: options)
        #expect(try checkpoint["w"]?.floats() == [2])
        #expect(checkpoint.metadata("hyper_parameters") == .opaque("argparse.Namespace object (not constructed)"))
    }

    /// Parameters saved through `_rebuild_from_type_v2` (tensor subclasses) unwrap to the tensor.
    @Test func rebuildFromTypeV2() throws {
        let inner = P.mark + P.tensor(key: "0", numel: 2, size: [2], stride: [1]) + P.newTrue + P.orderedDict + P.tuple
        let wrapped = P.global("torch._tensor", "_rebuild_from_type_v2") + P.mark
            + P.global("torch._utils", "_rebuild_parameter") + P.global("torch.nn.parameter", "Parameter") + inner
            + P.emptyDict + P.tuple + P.reduce
        let checkpoint = try read(TestZip.torch(pickle: P.stateDict([("p", wrapped)]),
                                                storages: [("0", floatBytes([5, 6]))]))
        #expect(try checkpoint["p"]?.floats() == [5, 6])
    }

    @Test func trailingBytesAfterStopAreRefused() throws {
        let pickle = P.stateDict([("w", P.tensor(key: "0", numel: 1, size: [1], stride: [1]))]) + [0x4e]
        let error = expectCheckpointError {
            try read(TestZip.torch(pickle: pickle, storages: [("0", floatBytes([1]))]))
        }
        #expect(error?.kind == .pickleMalformed)
    }

    @Test func twoDataPicklesAreAmbiguous() throws {
        let pickle = P.stateDict([])
        let archive = TestZip.stored([("a/data.pkl", pickle), ("b/data.pkl", pickle)])
        let error = expectCheckpointError { try read(archive) }
        #expect(error?.kind == .torchMalformed)
    }
}
