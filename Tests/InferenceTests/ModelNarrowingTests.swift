import Foundation
import KRUFormat
import Testing
@testable import KRUInference

/// `ModelNarrowing` on the fixture models: what it rewrites, what it keeps, and what it refuses. (That the engine
/// computes with exactly the rounded weights is checked against NumPy's rounding by the Python package's tests.)
struct ModelNarrowingTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models")

    static func fixture(_ name: String) throws -> KRUFile {
        try KRUFile(path: fixtures.appendingPathComponent("\(name).kru").path)
    }

    @Test(arguments: [KRUDType.f16, .bf16])
    func narrowsTheNamedTensorsAndKeepsEverythingElse(dtype: KRUDType) throws {
        let file = try Self.fixture("torch_lstm_l2")
        let narrowing = try ModelNarrowing(file: file, tensors: ["embedding", "readout"], to: dtype)
        let written = try KRUFile(bytes: narrowing.writer.encode())
        #expect(narrowing.changes.map(\.tensor) == ["input.embedding", "readout.weight"])
        #expect(written.tensors.map(\.name) == file.tensors.map(\.name))
        for info in file.tensors {
            let before = try file.tensor(info), after = try written.tensor(named: info.name)
            if ["input.embedding", "readout.weight"].contains(info.name) {
                #expect(after.dtype == dtype && after.shape == before.shape)
                let rounded = try KRUTensor(name: info.name, shape: info.shape, floats: before.floats(),
                                            storedAs: dtype)
                #expect(after.bytes == rounded.bytes)
                let change = try #require(narrowing.changes.first { $0.tensor == info.name })
                #expect(change.from == .f32 && change.to == dtype && change.bytesAfter * 2 == change.bytesBefore)
                let largest = try zip(before.doubles(), after.doubles()).map { abs($0 - $1) }.max() ?? 0
                #expect(change.largestError == largest && largest > 0)
            } else {
                #expect(after == before)
            }
        }
        let kept = file.metadata.map(\.key)
        #expect(Array(written.metadata.prefix(kept.count)) == file.metadata)
        #expect(written.metadata(ModelNarrowing.tensorsKey) == .stringArray(["input.embedding", "readout.weight"]))
        #expect(written.metadata(ModelNarrowing.originalTypesKey) == .stringArray(["f32", "f32"]))
        // It is still a valid model of the same shape.
        let model = try KRUModel(file: written)
        #expect(model.description == (try KRUModel(file: file)).description)
    }

    @Test func narrowingAgainKeepsTheFirstRecordedType() throws {
        let file = try Self.fixture("torch_gru_l1")
        let once = try KRUFile(bytes: ModelNarrowing(file: file, tensors: ["readout"], to: .bf16).writer.encode())
        let twice = try ModelNarrowing(file: once, tensors: ["readout", "input"], to: .f16)
        #expect(twice.changes.map(\.from) == [.bf16, .f32])
        let written = try KRUFile(bytes: twice.writer.encode())
        #expect(written.metadata(ModelNarrowing.tensorsKey) == .stringArray(["readout.weight", "layer.0.weight_ih"]))
        #expect(written.metadata(ModelNarrowing.originalTypesKey) == .stringArray(["f32", "f32"]))
        #expect(written.metadata.filter { $0.key.hasPrefix("kru.quantize.") }.count == 2)
    }

    @Test func exactTensorNamesWorkLikeGroups() throws {
        let file = try Self.fixture("torch_lstm_l2")
        let byName = try ModelNarrowing(file: file, tensors: ["layer.1.weight_ih"], to: .f16)
        #expect(byName.changes.map(\.tensor) == ["layer.1.weight_ih"])
        _ = try KRUModel(file: KRUFile(bytes: byName.writer.encode()))
    }

    @Test func recurrentNamesEveryDenseRealRecurrentMatrix() throws {
        let file = try Self.fixture("torch_gru_h8_l3")
        let narrowing = try ModelNarrowing(file: file, tensors: ["recurrent"], to: .bf16)
        #expect(narrowing.changes.map(\.tensor) == ["layer.0.weight_hh", "layer.1.weight_hh", "layer.2.weight_hh"])
        let model = try KRUModel(file: KRUFile(bytes: narrowing.writer.encode()))
        #expect(model.layers.allSatisfy { if case .sixteenBitDense = $0.recurrence { true } else { false } })
    }

    @Test func refusesWhatCannotBeNarrowed() throws {
        let lstm = try Self.fixture("torch_lstm_l2")
        let refusals: [(KRUFile, [String], KRUDType, String)] = try [
            (lstm, ["embeding"], .f16, "unknown tensor \"embeding\""),
            (lstm, ["readout", "readout.weight"], .f16, "names readout.weight twice"),
            (lstm, [], .f16, "no tensor to narrow"),
            (lstm, ["readout"], .f32, "cannot narrow to f32"),
            (lstm, ["readout"], .i8, "cannot narrow to i8"),
            (Self.fixture("kru_square3_modrelu"), ["input"], .f16,
             "layer.0.weight_ih is complex64 and cannot be narrowed: the format has no 16-bit complex type"),
            (Self.fixture("kru_unequal_4x4_2x2_onehot_split_tanh"), ["embedding"], .bf16, "has no input.embedding"),
            (Self.fixture("kru_words_tied_lstm"), ["readout"], .f16, "tied to input.embedding"),
            (lstm, ["recurrent", "layer.1.weight_hh"], .f16, "names layer.1.weight_hh twice"),
            (Self.fixture("kru_lstm_kron_rank1"), ["recurrent"], .bf16, "no dense real recurrent matrix"),
            (Self.fixture("kru_dense_kru_then_rnn_relu_kron"), ["recurrent"], .bf16, "no dense real recurrent matrix"),
        ]
        for (file, tensors, dtype, message) in refusals {
            do {
                _ = try ModelNarrowing(file: file, tensors: tensors, to: dtype)
                Issue.record("\(tensors) to \(dtype) was not refused")
            } catch let error as ModelNarrowingError {
                #expect(error.description.contains(message), "\(error)")
            }
        }
    }

    @Test func refusesAFileThatIsNotAModel() throws {
        let container = try KRUFile(bytes: KRUWriter(tensors: [KRUTensor(name: "readout.weight", shape: [1],
                                                                          floats: [1])]).encode())
        #expect(throws: ModelSchemaError.self) {
            try ModelNarrowing(file: container, tensors: ["readout"], to: .f16)
        }
    }
}
