import Foundation
import KRUFormat
import KRUInference
import Testing
@testable import KRUConvert

/// `kru convert`'s library: real PyTorch checkpoints converted with `--factors none` reproduce PyTorch's logits;
/// exact Kronecker products are recovered; two-factor errors equal their optimum; bad requests are explained.
struct ConverterTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let vocabulary = Vocabulary(characters: Array("abcdefg".unicodeScalars))

    /// PyTorch's logits for a model, as copied into Tests/Fixtures/models/torch_NAME.json, and its inputs.
    static func pytorchOutputs(_ model: String) throws -> (inputs: [[Int]], logits: [Float]) {
        let url = fixtures.appendingPathComponent("models/torch_\(model).json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let inputs = try #require(json["inputs"] as? [[Int]])
        let outputs = try #require(json["outputs"] as? [[[NSNumber]]])
        return (inputs, outputs.flatMap { $0.flatMap { $0.map(\.floatValue) } })
    }

    static func convert(_ file: String, factors: FactorSpecification, rank: Int = 1,
                        nonlinearity: ModelDescription.Cell = .rnnTanh) throws -> ConversionResult {
        let checkpoint = try Checkpoint.read(path: fixtures.appendingPathComponent("torch/\(file)").path)
        let dense = try DenseRecurrentCheckpoint.recognize(checkpoint, nonlinearity: nonlinearity)
        return try Converter.convert(dense, vocabulary: vocabulary, factors: factors, rank: rank, source: file)
    }

    static let layouts: [(file: String, model: String)] = [
        ("rnn_tanh_l1.pt", "rnn_tanh_l1"), ("rnn_tanh_l2.pt", "rnn_tanh_l2"), ("rnn_relu_l1.pt", "rnn_relu_l1"),
        ("rnn_relu_l2.pt", "rnn_relu_l2"), ("lstm_l1.pt", "lstm_l1"), ("lstm_l2.pt", "lstm_l2"),
        ("gru_l1.pt", "gru_l1"), ("gru_l2.pt", "gru_l2"), ("lstm_nobias_l2.pt", "lstm_nobias_l2"),
        ("gru_h8_l3.pt", "gru_h8_l3"),
        ("lstm_l2.lightning.ckpt", "lstm_l2"), ("lstm_l2.module.pt", "lstm_l2"), ("lstm_l2.legacy.pt", "lstm_l2"),
        ("lstm_l2.noncontig.pt", "lstm_l2"), ("lstm_l2.safetensors", "lstm_l2"), ("gru_l2.weights.npz", "gru_l2"),
        ("gru_l2.params.pt", "gru_l2"),
    ]

    @Test(arguments: layouts)
    func denseConversionReproducesPyTorch(layout: (file: String, model: String)) throws {
        let relu = layout.model.hasPrefix("rnn_relu")
        let model = try Self.convert(layout.file, factors: .none, nonlinearity: relu ? .rnnReLU : .rnnTanh).model()
        let (inputs, expected) = try Self.pytorchOutputs(layout.model)
        let logits = try model.outputs(tokens: inputs.flatMap { $0 }, batch: inputs.count, steps: inputs[0].count)
        let worst = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(logits.count == expected.count)
        #expect(worst < 1e-5, "\(layout.file): max |Δlogit| = \(worst)")
    }

    @Test func twoFactorErrorsEqualTheirOptimumAndShrinkTheModel() throws {
        let result = try Self.convert("gru_l2.pt", factors: try FactorSpecification(parsing: "2:3x3:2"))
        #expect(result.blocks.count == 6)  // 2 layers × 3 gates
        for block in result.blocks {
            let optimum = try #require(block.optimalRelativeError)
            #expect(abs(block.relativeError - optimum) < 1e-9, "layer \(block.layer) gate \(block.gate)")
            #expect(abs(block.relativeError * block.relativeError + block.capturedEnergy - 1) < 1e-9)
        }
        let converted = try result.model(), dense = try Self.convert("gru_l2.pt", factors: .none).model()
        #expect(converted.recurrentParameterCount == 6 * 12)  // each block: 2×3 + 3×2 entries
        #expect(dense.recurrentParameterCount == 6 * 36)
    }

    @Test func exactKroneckerBlocksAreRecoveredAndTheModelUnchanged() throws {
        // An LSTM (N = 6, one layer) whose four recurrent blocks are exact products (2×3) ⊗ (3×2).
        var random = KRURandom(seed: 5)
        func values(_ count: Int) -> [Double] { (0..<count).map { _ in random.nextDouble() - 0.5 } }
        func kron(_ a: [Double], _ b: [Double]) -> [Double] {  // (2×3) ⊗ (3×2) in numpy.kron order: 6×6
            var k = [Double](repeating: 0, count: 36)
            for i in 0..<2 { for j in 0..<3 { for p in 0..<3 { for q in 0..<2 {
                k[(i * 3 + p) * 6 + (j * 2 + q)] = a[i * 3 + j] * b[p * 2 + q]
            } } } }
            return k
        }
        let whh = (0..<4).flatMap { _ in kron(values(6), values(6)) }
        func tensor(_ name: String, _ shape: [Int], _ v: [Double]) -> CheckpointTensor {
            CheckpointTensor(name: name, dtype: .float32, shape: shape, values: .float(v.map { Float($0) }))
        }
        let checkpoint = Checkpoint(format: .safetensors, tensors: [
            tensor("emb.weight", [7, 5], values(35)), tensor("rnn.weight_ih_l0", [24, 5], values(120)),
            tensor("rnn.weight_hh_l0", [24, 6], whh), tensor("rnn.bias_ih_l0", [24], values(24)),
            tensor("rnn.bias_hh_l0", [24], values(24)), tensor("out.weight", [7, 6], values(42)),
            tensor("out.bias", [7], values(7)),
        ])
        let dense = try DenseRecurrentCheckpoint.recognize(checkpoint)
        let factored = try Converter.convert(dense, vocabulary: Self.vocabulary,
                                             factors: .shapes([.init(rows: 2, columns: 3), .init(rows: 3, columns: 2)]),
                                             source: "synthetic")
        for block in factored.blocks {
            #expect(block.relativeError < 1e-6, "gate \(block.gate): \(block.relativeError)")
        }
        let reference = try Converter.convert(dense, vocabulary: Self.vocabulary, factors: .none,
                                              source: "synthetic").model()
        let tokens = [0, 3, 6, 2, 2, 5, 1, 4]
        let a = try factored.model().outputs(tokens: tokens, batch: 1, steps: tokens.count)
        let b = try reference.outputs(tokens: tokens, batch: 1, steps: tokens.count)
        #expect(zip(a, b).map { abs($0 - $1) }.max()! < 1e-5)
    }

    @Test func refinedMultiFactorConversionIsNoWorseThanItsStart() throws {
        let result = try Self.convert("gru_h8_l3.pt", factors: try FactorSpecification(parsing: "2x2x2"))
        for block in result.blocks {
            let start = try #require(block.startRelativeError)
            #expect(block.relativeError <= start + 1e-12)
        }
    }

    @Test func badRequestsAreExplained() throws {
        let checkpoint = try Checkpoint.read(path: Self.fixtures.appendingPathComponent("torch/lstm_l1.pt").path)
        let dense = try DenseRecurrentCheckpoint.recognize(checkpoint)
        #expect(throws: ConversionError("factors 2x2 multiply to 4×4, but the recurrent matrices are 6×6")) {
            try Converter.convert(dense, vocabulary: Self.vocabulary, factors: .shapes([.square(2), .square(2)]),
                                  source: "x")
        }
        #expect(throws: ConversionError("the vocabulary has 3 characters but the model takes 7 tokens")) {
            try Converter.convert(dense, vocabulary: Vocabulary(characters: Array("abc".unicodeScalars)),
                                  factors: .none, source: "x")
        }
        #expect(throws: FactorSpecificationError.self) { try FactorSpecification(parsing: "4y4") }
        #expect(try FactorSpecification(parsing: "2:3x3:2")
            == .shapes([.init(rows: 2, columns: 3), .init(rows: 3, columns: 2)]))
        #expect(VocabularySource.checkpoint(checkpoint) == nil)
        #expect(VocabularySource.hint(for: checkpoint) == nil)
    }
}

extension ConverterTests {
    @Test(arguments: ["none", "auto", "auto2", "4x4x4", "2:3x3:2"])
    func factorSpecificationsPrintAsTheyParse(text: String) throws {
        #expect(try FactorSpecification(parsing: text).description == text)
    }
}
