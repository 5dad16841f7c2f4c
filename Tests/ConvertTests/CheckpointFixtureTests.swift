import Foundation
import Testing
@testable import KRUConvert

/// The readers against real `torch.save`, safetensors and NumPy output (Tests/Fixtures/torch, made with
/// PyTorch 2.15 by tools/make_torch_fixtures.py). The oracle for every file is the model's `NAME.npz`.
struct CheckpointFixtureTests {
    static let models = ["rnn_tanh_l1", "rnn_tanh_l2", "rnn_relu_l1", "rnn_relu_l2", "lstm_l1", "lstm_l2",
                         "gru_l1", "gru_l2", "lstm_nobias_l2", "gru_h8_l3"]

    /// Every tensor of `checkpoint` equals the reference, bit for bit after `round`, in PyTorch's order.
    private func expectMatchesReference(_ checkpoint: Checkpoint, model: String, dtype: CheckpointDType = .float32,
                                        round: (Float) -> Float = { $0 }) throws {
        let reference = try CheckpointFixtures.reference(model)
        let parameters = CheckpointFixtures.parameters(of: model)
        // The reference npz holds the state dict plus input_ids, logits, rnn_output, h_n (and c_n).
        #expect(parameters.count >= 7 && parameters.count == reference.count - (model.hasPrefix("lstm") ? 5 : 4))
        #expect(checkpoint.tensors.map(\.name) == parameters.map(\.name))
        for (name, shape) in parameters {
            guard let tensor = checkpoint[name], let expected = reference[name] else {
                Issue.record("\(model): \(name) missing")
                continue
            }
            #expect(tensor.shape == shape, "\(model) \(name)")
            #expect(expected.shape == shape)
            #expect(tensor.dtype == dtype, "\(model) \(name)")
            guard case .float(let values) = try tensor.values() else {
                Issue.record("\(model) \(name): not float values")
                continue
            }
            #expect(bitPatterns(values) == bitPatterns(try expected.floats().map(round)), "\(model) \(name)")
        }
    }

    @Test(arguments: models)
    func defaultZipLayout(model: String) throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.torchPath("\(model).pt"))
        #expect(checkpoint.format == .torchZip)
        #expect(checkpoint.strippedPrefixes.isEmpty)
        #expect(checkpoint.stateDictKey == nil)
        try expectMatchesReference(checkpoint, model: model)
    }

    @Test(arguments: models)
    func referenceNpzHoldsRunOutputs(model: String) throws {
        let npz = try Checkpoint.read(path: CheckpointFixtures.torchPath("\(model).npz"))
        #expect(npz.format == .npz)
        let ids = try #require(npz["input_ids"])
        #expect(ids.dtype == .int64)
        #expect(ids.shape == [2, 9])
        guard case .integer(let tokens) = try ids.values() else { Issue.record("input_ids not integers"); return }
        #expect(tokens.allSatisfy { (0..<7).contains($0) })
        #expect(npz["logits"]?.shape == [2, 9, 7])
    }

    @Test(arguments: ["lstm_l2", "gru_l2"])
    func lightningCheckpoint(model: String) throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.torchPath("\(model).lightning.ckpt"))
        #expect(checkpoint.stateDictKey == "state_dict")
        #expect(checkpoint.strippedPrefixes == ["model."])
        try expectMatchesReference(checkpoint, model: model)
        #expect(checkpoint.metadata("epoch") == .int(3))
        #expect(checkpoint.metadata("global_step") == .int(27))
        #expect(checkpoint.metadata("pytorch-lightning_version") == .string("2.4.0"))
        #expect(checkpoint.metadata("hparams_name") == .string("kwargs"))
        guard case .dictionary(let hparams)? = checkpoint.metadata("hyper_parameters") else {
            Issue.record("hyper_parameters missing"); return
        }
        let values = Dictionary(uniqueKeysWithValues: hparams.map { ($0.key, $0.value) })
        #expect(values["hidden_size"] == .int(6))
        #expect(values["cell"] == .string(model.hasPrefix("lstm") ? "lstm" : "gru"))
        #expect(values["bias"] == .bool(true))
        #expect(values["betas"] == .tuple([.double(0.9), .double(0.999)]))
        #expect(values["notes"] == CheckpointValue.none)
        // The optimizer state holds tensors that are not weights: skipped, never read.
        #expect(checkpoint.skippedEntries.contains { $0.hasPrefix("optimizer_states:") })
        #expect(checkpoint.metadata("optimizer_states") == nil)
        #expect(checkpoint.metadata("loops") != nil)
    }

    @Test(arguments: ["lstm_l2", "gru_l2"])
    func dataParallelPrefix(model: String) throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.torchPath("\(model).module.pt"))
        #expect(checkpoint.strippedPrefixes == ["module."])
        try expectMatchesReference(checkpoint, model: model)
    }

    @Test(arguments: ["lstm_l2", "gru_l2"])
    func prefixesKeptWhenNotAsked(model: String) throws {
        var options = CheckpointReadOptions()
        options.prefixesToStrip = []
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.torchPath("\(model).module.pt"), options: options)
        #expect(checkpoint.strippedPrefixes.isEmpty)
        #expect(checkpoint.tensors.allSatisfy { $0.name.hasPrefix("module.") })
    }

    @Test(arguments: ["lstm_l2", "gru_l2"])
    func legacyLayout(model: String) throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.torchPath("\(model).legacy.pt"))
        #expect(checkpoint.format == .torchLegacy)
        try expectMatchesReference(checkpoint, model: model)
    }

    @Test(arguments: ["lstm_l2", "gru_l2"])
    func halfPrecision(model: String) throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.torchPath("\(model).f16.pt"))
        try expectMatchesReference(checkpoint, model: model, dtype: .float16, round: roundedToFloat16)
    }

    @Test(arguments: ["lstm_l2", "gru_l2"])
    func bfloat16(model: String) throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.torchPath("\(model).bf16.pt"))
        try expectMatchesReference(checkpoint, model: model, dtype: .bfloat16, round: roundedToBFloat16)
    }

    @Test(arguments: ["lstm_l2", "gru_l2"])
    func stridesOffsetsAndSharedStorage(model: String) throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.torchPath("\(model).noncontig.pt"))
        try expectMatchesReference(checkpoint, model: model)
    }

    @Test(arguments: ["lstm_l2", "gru_l2"])
    func parameters(model: String) throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.torchPath("\(model).params.pt"))
        try expectMatchesReference(checkpoint, model: model)
    }

    @Test(arguments: ["lstm_l2", "gru_l2"])
    func safetensors(model: String) throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.torchPath("\(model).safetensors"))
        #expect(checkpoint.format == .safetensors)
        #expect(checkpoint.metadata == [CheckpointMetadataEntry(key: "format", value: .string("pt"))])
        // safetensors sorts names; compare as a set, then the values.
        let reference = try CheckpointFixtures.reference(model)
        let parameters = CheckpointFixtures.parameters(of: model)
        #expect(Set(checkpoint.tensors.map(\.name)) == Set(parameters.map(\.name)))
        for (name, shape) in parameters {
            let tensor = try #require(checkpoint[name])
            #expect(tensor.shape == shape)
            #expect(bitPatterns(try tensor.floats()) == bitPatterns(try reference[name]!.floats()))
        }
    }

    @Test(arguments: ["lstm_l2", "gru_l2"])
    func compressedNpz(model: String) throws {
        let checkpoint = try Checkpoint.read(path: CheckpointFixtures.torchPath("\(model).weights.npz"))
        #expect(checkpoint.format == .npz)
        try expectMatchesReference(checkpoint, model: model)
    }

    /// Every checkpoint file the manifest lists is read, and its format is recognised from its bytes.
    @Test func everyManifestFileReads() throws {
        for entry in CheckpointFixtures.checkpoints {
            let file = entry["file"] as! String
            let path = CheckpointFixtures.torchPath(file)
            let expected: CheckpointFormat = file.hasSuffix(".safetensors") ? .safetensors
                : file.hasSuffix(".npz") ? .npz : file.hasSuffix(".legacy.pt") ? .torchLegacy : .torchZip
            #expect(try Checkpoint.detectFormat(path: path) == expected, "\(file)")
            let checkpoint = try Checkpoint.read(path: path)
            #expect(checkpoint.format == expected)
            #expect(!checkpoint.tensors.isEmpty, "\(file)")
        }
    }

    @Test func forcedFormatMismatchIsATypedError() throws {
        let error = expectCheckpointError {
            try Checkpoint.read(path: CheckpointFixtures.torchPath("gru_l2.pt"), format: .safetensors)
        }
        #expect(error?.kind == .limitExceeded(.safetensorsHeaderBytes))
        let npz = expectCheckpointError {
            try Checkpoint.read(path: CheckpointFixtures.torchPath("gru_l2.npz"), format: .torchZip)
        }
        #expect(npz?.kind == .missingEntry("data.pkl"))
    }
}
