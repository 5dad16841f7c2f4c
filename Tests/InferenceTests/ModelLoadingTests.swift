import KRUFormat
import Testing
@testable import KRUInference

/// Loading refuses inconsistent models with a message that names the key or tensor at fault (spec/MODEL.md §6).
struct ModelLoadingTests {
    /// A valid one-layer kru model (2×2 ⊗ 2×2 complex factors, N = 4, one-hot input over "ab"), as parts that
    /// each test damages in one place.
    static func parts() -> (metadata: [KRUMetadataEntry], tensors: [KRUTensor]) {
        let n = 4, v = 2
        let metadata: [KRUMetadataEntry] = [
            .init("kru.schema_version", .int(1)),
            .init("kru.input.kind", .string("tokens")),
            .init("kru.input.vocabulary", .stringArray(["a", "b"])),
            .init("kru.layer_count", .int(1)),
            .init("kru.layer.0.cell", .string("kru")),
            .init("kru.layer.0.hidden_size", .int(Int64(n))),
            .init("kru.layer.0.activation", .string("split_tanh")),
            .init("kru.layer.0.recurrent", .string("kronecker")),
            .init("kru.layer.0.recurrent_rank", .int(1)),
            .init("kru.layer.0.recurrent_factors", .int(2)),
            .init("kru.output.kind", .string("categorical")),
            .init("kru.output.width", .int(Int64(v))),
            .init("kru.output.steps", .string("every")),
        ]
        func complex(_ name: String, _ shape: [Int]) -> KRUTensor {
            let count = shape.reduce(1, *)
            return KRUTensor(name: name, shape: shape, real: (0..<count).map { Float($0) * 0.1 },
                             imaginary: (0..<count).map { Float($0) * -0.05 })
        }
        let tensors = [
            complex("layer.0.weight_hh.0.0.0", [2, 2]), complex("layer.0.weight_hh.0.0.1", [2, 2]),
            complex("layer.0.weight_ih", [n, v]), complex("layer.0.bias", [n]),
            KRUTensor(name: "readout.weight", shape: [v, 2 * n], floats: [Float](repeating: 0.1, count: 2 * n * v)),
            KRUTensor(name: "readout.bias", shape: [v], floats: [0, 0]),
        ]
        return (metadata, tensors)
    }

    static func load(_ metadata: [KRUMetadataEntry], _ tensors: [KRUTensor]) throws -> KRUModel {
        try KRUModel(file: KRUFile(bytes: KRUWriter(metadata: metadata, tensors: tensors).encode()))
    }

    static func replacing(_ key: String, with value: KRUMetadataValue?) -> [KRUMetadataEntry] {
        parts().metadata.compactMap { $0.key == key ? value.map { KRUMetadataEntry(key, $0) } : $0 }
    }

    @Test func theBaseModelLoadsAndRuns() throws {
        let (metadata, tensors) = Self.parts()
        let model = try Self.load(metadata, tensors)
        #expect(model.recurrentParameterCount == 16)
        let session = model.session()
        try session.feed(token: 1)
        #expect(session.outputValues().count == 2)
    }

    @Test(arguments: [
        ("kru.schema_version", KRUMetadataValue.int(3), "schema is v3, this build reads v2"),
        ("kru.input.kind", .string("images"), "kru.input.kind"),
        ("kru.input.vocabulary", .stringArray(["a", "a"]), "occurs twice"),
        ("kru.input.vocabulary", .stringArray(["ab", "c"]), "exactly one Unicode scalar"),
        ("kru.layer.0.cell", .string("transformer"), "kru.layer.0.cell"),
        ("kru.layer.0.activation", .string("gelu"), "kru.layer.0.activation"),
        ("kru.layer.0.hidden_size", .int(8), "not 8×8"),
        ("kru.layer.0.recurrent_factors", .int(3), "layer.0.weight_hh.0.0.2 is missing"),
        ("kru.output.width", .int(3), "vocabulary has 2"),
        ("kru.layer_count", .string("1"), "must be an int"),
    ])
    func inconsistentMetadataIsNamed(key: String, value: KRUMetadataValue, expected: String) {
        let error = #expect(throws: ModelSchemaError.self) {
            try Self.load(Self.replacing(key, with: value), Self.parts().tensors)
        }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "no error")")
    }

    /// Schema 2's keys (spec/MODEL.md §4.2, §5, §7): refused in a file that declares version 1, checked in
    /// version 2.
    @Test(arguments: [
        ([("kru.input.tokenizer", KRUMetadataValue.string("words"))], 1, "needs kru.schema_version 2"),
        ([("kru.output.tied", .bool(true))], 1, "needs kru.schema_version 2"),
        ([("kru.input.tokenizer", .string("sentencepiece"))], 2, "kru.input.tokenizer"),
        ([("kru.input.tokenizer", .string("words")), ("kru.input.vocabulary", .stringArray(["the king", "b"]))], 2,
         "holds whitespace"),
        ([("kru.input.tokenizer", .string("bytes")), ("kru.input.vocabulary", .stringArray(["\u{100}", "b"]))], 2,
         "U+0000 to U+00FF"),
        ([("kru.input.tokenizer", .string("words")), ("kru.input.vocabulary", .stringArray(["", "b"]))], 2, "is empty"),
        ([("kru.output.tied", .bool(true))], 2, "kru.output.tied needs a token model whose input.embedding"),
        ([("kru.output.tied", .int(1))], 2, "kru.output.tied must be a bool"),
    ])
    func schemaTwoKeysAreChecked(changes: [(String, KRUMetadataValue)], version: Int64, expected: String) {
        var metadata = Self.replacing("kru.schema_version", with: .int(version))
        for (key, value) in changes {
            metadata.removeAll { $0.key == key }
            metadata.append(KRUMetadataEntry(key, value))
        }
        let error = #expect(throws: ModelSchemaError.self) { try Self.load(metadata, Self.parts().tensors) }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "no error")")
    }

    /// A tied readout runs exactly as the same model with the embedding copied into readout.weight; the file that
    /// also stores readout.weight is refused (the tensor would be ignored).
    @Test func aTiedReadoutIsTheEmbedding() throws {
        let (metadata, tensors) = Self.parts()
        let embedding = KRUTensor(name: "input.embedding", shape: [2, 8],
                                  floats: (0..<16).map { Float($0 % 5) * 0.3 - 0.6 })
        let projection = KRUTensor(name: "layer.0.weight_ih", shape: [4, 8], real: (0..<32).map { Float($0) * 0.02 },
                                   imaginary: (0..<32).map { Float($0) * -0.01 })
        let shared = tensors.filter { !["layer.0.weight_ih", "readout.weight"].contains($0.name) }
            + [embedding, projection]
        let readoutCopy = KRUTensor(name: "readout.weight", shape: [2, 8], floats: try embedding.floats())
        let untied = try Self.load(metadata, shared + [readoutCopy])
        let tiedMetadata = metadata.map { $0.key == "kru.schema_version" ? KRUMetadataEntry($0.key, .int(2)) : $0 }
            + [KRUMetadataEntry("kru.output.tied", .bool(true))]
        let tied = try Self.load(tiedMetadata, shared)
        #expect(tied.description.tiedReadout && tied.parameterCount == untied.parameterCount - 16)
        let tokens = [0, 1, 1, 0, 1]
        #expect(try tied.outputs(tokens: tokens, batch: 1, steps: 5)
                == untied.outputs(tokens: tokens, batch: 1, steps: 5))
        let twice = #expect(throws: ModelSchemaError.self) {
            try Self.load(tiedMetadata, shared + [readoutCopy])
        }
        #expect(twice?.description.contains("readout.weight") == true)
    }

    @Test func missingKeyIsNamed() {
        let error = #expect(throws: ModelSchemaError.self) {
            try Self.load(Self.replacing("kru.output.steps", with: nil), Self.parts().tensors)
        }
        #expect(error?.description == "metadata kru.output.steps is missing")
    }

    @Test func tensorProblemsAreNamed() {
        let (metadata, tensors) = Self.parts()
        let withoutBias = tensors.filter { $0.name != "layer.0.bias" }
        #expect(throws: ModelSchemaError("tensor layer.0.bias is missing")) { try Self.load(metadata, withoutBias) }

        let stray = tensors + [KRUTensor(name: "layer.0.extra", shape: [1], floats: [1])]
        let strayError = #expect(throws: ModelSchemaError.self) { try Self.load(metadata, stray) }
        #expect(strayError?.description.contains("layer.0.extra") == true)

        let realBias = tensors.map {
            $0.name == "layer.0.bias" ? KRUTensor(name: "layer.0.bias", shape: [4], floats: [0, 0, 0, 0]) : $0
        }
        let dtypeError = #expect(throws: ModelSchemaError.self) { try Self.load(metadata, realBias) }
        #expect(dtypeError?.description.contains("complex64 or complex128 is required") == true)

        let wrongShape = tensors.map {
            $0.name == "readout.bias" ? KRUTensor(name: "readout.bias", shape: [3], floats: [0, 0, 0]) : $0
        }
        let shapeError = #expect(throws: ModelSchemaError.self) { try Self.load(metadata, wrongShape) }
        #expect(shapeError?.description.contains("has shape [3], expected [2]") == true)
    }

    @Test func snapshotAndRestoreReturnToTheSameState() throws {
        let (metadata, tensors) = Self.parts()
        let session = try Self.load(metadata, tensors).session()
        try session.feed(token: 0)
        let saved = session.snapshot()
        try session.feed(token: 1)
        let after = session.outputValues()
        try session.feed(token: 0)
        try session.restore(saved)
        try session.feed(token: 1)
        #expect(session.outputValues() == after)
        session.reset()
        #expect(session.stepCount == 0 && session.hiddenState(layer: 0).allSatisfy { $0 == 0 })
    }
}

/// Written metadata reads back as the same description.
struct ModelMetadataRoundTripTests {
    @Test func schemaMetadataParsesBackToTheSameDescription() throws {
        let written = ModelDescription(
            input: .tokens(vocabulary: Array("ab".unicodeScalars)), layers: [
                .init(cell: .kru, hiddenSize: 4, activation: .splitTanh, recurrent: .kronecker(rank: 1, factors: 2)),
            ], outputKind: .categorical, outputWidth: 2, outputSteps: .every)
        #expect(written.schemaMetadata == ModelLoadingTests.parts().metadata)
        let model = try ModelLoadingTests.load(written.schemaMetadata, ModelLoadingTests.parts().tensors)
        #expect(model.description == written)
    }

    /// A words vocabulary needs schema 2, and writes its tokenizer; a character one stays schema 1.
    @Test func schemaTwoIsWrittenOnlyWhenNeeded() throws {
        let layers: [ModelDescription.Layer] = [.init(cell: .lstm, hiddenSize: 3, recurrent: .dense)]
        let words = ModelDescription(input: .tokens(vocabulary: try Vocabulary(["the", "<eos>"], tokenizer: .words)),
                                     embeddingWidth: 3, layers: layers, outputKind: .categorical, outputWidth: 2,
                                     outputSteps: .every, tiedReadout: true)
        let metadata = Dictionary(uniqueKeysWithValues: words.schemaMetadata.map { ($0.key, $0.value) })
        #expect(metadata["kru.schema_version"] == .int(2) && metadata["kru.input.tokenizer"] == .string("words"))
        #expect(metadata["kru.output.tied"] == .bool(true))
        let characters = ModelDescription(input: .tokens(vocabulary: Array("ab".unicodeScalars)), layers: layers,
                                          outputKind: .categorical, outputWidth: 2, outputSteps: .every)
        #expect(characters.schemaVersion == 1)
        #expect(!characters.schemaMetadata.contains { $0.key == "kru.input.tokenizer" || $0.key == "kru.output.tied" })
    }
}
