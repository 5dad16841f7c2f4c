import KRUFormat
import KRUInference

/// The two token models the throughput benchmark runs, built in memory with KRUWriter (spec/MODEL.md) and
/// loaded through the normal loader, so they take exactly the path a model file takes.
enum SyntheticModels {
    /// 64 printable ASCII characters, "!" … "`": each one Unicode scalar, all distinct, as the schema requires.
    static let vocabulary: [String] = (0..<64).map { String(UnicodeScalar(UInt8(0x21 + $0))) }
    static let embeddingWidth = 32

    /// A one-layer KRU: N = `hiddenSize` complex state, log2(N) unitary 2 × 2 complex factors, modReLU,
    /// embedding width 32, categorical readout over the 64 tokens.
    static func kronecker(hiddenSize n: Int, seed: UInt64) throws -> KRUModel {
        precondition(n >= 2 && n & (n - 1) == 0, "the 2 × 2 factorisation needs a power of two")
        var random = RandomData(seed: seed)
        let factorCount = n.trailingZeroBitCount
        let factors = (0..<factorCount).map { f -> KRUTensor in
            let w = random.unitaryFactor()
            return KRUTensor(name: "layer.0.weight_hh.0.0.\(f)", shape: [2, 2], real: w.real, imaginary: w.imaginary)
        }
        let e = Float(embeddingWidth)
        let tensors = common(&random, readoutWidth: 2 * n) + factors + [
            // Input weights ~ 1/√E so the pre-activation is O(1); small biases; a slightly negative modReLU
            // bias, as trained models have, so the activation's both branches run.
            KRUTensor(name: "layer.0.weight_ih", shape: [n, embeddingWidth],
                      real: random.gaussian(n * embeddingWidth, standardDeviation: 1 / e.squareRoot()),
                      imaginary: random.gaussian(n * embeddingWidth, standardDeviation: 1 / e.squareRoot())),
            KRUTensor(name: "layer.0.bias", shape: [n], real: random.gaussian(n, standardDeviation: 0.01),
                      imaginary: random.gaussian(n, standardDeviation: 0.01)),
            KRUTensor(name: "layer.0.modrelu_bias", shape: [n], floats: random.uniform(n, -0.1, 0)),
        ]
        return try load(layer: [
            .init("kru.layer.0.cell", .string("kru")),
            .init("kru.layer.0.hidden_size", .int(Int64(n))),
            .init("kru.layer.0.activation", .string("modrelu")),
            .init("kru.layer.0.recurrent", .string("kronecker")),
            .init("kru.layer.0.recurrent_rank", .int(1)),
            .init("kru.layer.0.recurrent_factors", .int(Int64(factorCount))),
        ], tensors: tensors)
    }

    /// A one-layer dense rnn_tanh (PyTorch nn.RNN) with the same vocabulary, embedding and hidden size: what the
    /// KRU replaces, run by the same engine.
    static func denseTanh(hiddenSize n: Int, seed: UInt64) throws -> KRUModel {
        var random = RandomData(seed: seed)
        let e = Float(embeddingWidth)
        // PyTorch's init, U(−1/√N, 1/√N), for every RNN weight.
        let limit = 1 / Float(n).squareRoot()
        let tensors = common(&random, readoutWidth: n) + [
            KRUTensor(name: "layer.0.weight_ih", shape: [n, embeddingWidth],
                      floats: random.gaussian(n * embeddingWidth, standardDeviation: 1 / e.squareRoot())),
            KRUTensor(name: "layer.0.weight_hh", shape: [n, n], floats: random.uniform(n * n, -limit, limit)),
            KRUTensor(name: "layer.0.bias_ih", shape: [n], floats: random.uniform(n, -limit, limit)),
            KRUTensor(name: "layer.0.bias_hh", shape: [n], floats: random.uniform(n, -limit, limit)),
        ]
        return try load(layer: [
            .init("kru.layer.0.cell", .string("rnn_tanh")),
            .init("kru.layer.0.hidden_size", .int(Int64(n))),
            .init("kru.layer.0.recurrent", .string("dense")),
        ], tensors: tensors)
    }

    /// A small model (N = 64) of every cell and recurrence kind the schema has, for the allocation check: kru and
    /// PyTorch's four cells, each dense, as a 2 × 2 chain (kru) and as rank-2 Kronecker terms of unequal factors.
    static func everyKind() throws -> [(name: String, model: KRUModel)] {
        var random = RandomData(seed: 64)
        let n = 64
        var result: [(name: String, model: KRUModel)] = []
        for cell in ["kru", "rnn_tanh", "rnn_relu", "lstm", "gru"] {
            let gates = ["lstm": 4, "gru": 3][cell] ?? 1
            let complex = cell == "kru"
            let shapes: [(String, rank: Int, factors: [Int])] =
                [("dense", 1, []), ("kronecker rank 2, 4x4 ⊗ 16x16", 2, [4, 16])]
                    + (complex ? [("kronecker 2x2 chain", 1, Array(repeating: 2, count: 6))] : [])
            for (label, rank, factors) in shapes {
                func matrix(_ name: String, _ rows: Int, _ columns: Int) -> KRUTensor {
                    let scale = 1 / Float(columns).squareRoot()
                    return complex ? KRUTensor(name: name, shape: [rows, columns],
                                               real: random.gaussian(rows * columns, standardDeviation: scale),
                                               imaginary: random.gaussian(rows * columns, standardDeviation: scale))
                        : KRUTensor(name: name, shape: [rows, columns],
                                    floats: random.gaussian(rows * columns, standardDeviation: scale))
                }
                var tensors = common(&random, readoutWidth: complex ? 2 * n : n)
                tensors.append(matrix("layer.0.weight_ih", gates * n, embeddingWidth))
                if factors.isEmpty {
                    tensors.append(matrix("layer.0.weight_hh", gates * n, n))
                } else {
                    for g in 0..<gates {
                        for t in 0..<rank {
                            for (f, size) in factors.enumerated() {
                                tensors.append(matrix("layer.0.weight_hh.\(g).\(t).\(f)", size, size))
                            }
                        }
                    }
                }
                if complex {
                    tensors.append(KRUTensor(name: "layer.0.bias", shape: [n],
                                             real: random.gaussian(n, standardDeviation: 0.01),
                                             imaginary: random.gaussian(n, standardDeviation: 0.01)))
                    tensors.append(KRUTensor(name: "layer.0.modrelu_bias", shape: [n],
                                             floats: random.uniform(n, -0.1, 0)))
                } else {
                    tensors.append(KRUTensor(name: "layer.0.bias_ih", shape: [gates * n],
                                             floats: random.gaussian(gates * n, standardDeviation: 0.1)))
                    tensors.append(KRUTensor(name: "layer.0.bias_hh", shape: [gates * n],
                                             floats: random.gaussian(gates * n, standardDeviation: 0.1)))
                }
                var layer: [KRUMetadataEntry] = [
                    .init("kru.layer.0.cell", .string(cell)),
                    .init("kru.layer.0.hidden_size", .int(Int64(n))),
                    .init("kru.layer.0.recurrent", .string(factors.isEmpty ? "dense" : "kronecker")),
                ]
                if complex { layer.append(.init("kru.layer.0.activation", .string("modrelu"))) }
                if !factors.isEmpty {
                    layer.append(.init("kru.layer.0.recurrent_rank", .int(Int64(rank))))
                    layer.append(.init("kru.layer.0.recurrent_factors", .int(Int64(factors.count))))
                }
                result.append(("\(cell), \(label)", try load(layer: layer, tensors: tensors)))
            }
        }
        return result
    }

    /// Embedding and readout, shared by the models' recipes.
    private static func common(_ random: inout RandomData, readoutWidth d: Int) -> [KRUTensor] {
        let v = vocabulary.count
        return [
            KRUTensor(name: "input.embedding", shape: [v, embeddingWidth], floats: random.gaussian(v * embeddingWidth)),
            KRUTensor(name: "readout.weight", shape: [v, d],
                      floats: random.gaussian(v * d, standardDeviation: 1 / Float(d).squareRoot())),
            KRUTensor(name: "readout.bias", shape: [v], floats: random.gaussian(v, standardDeviation: 0.1)),
        ]
    }

    /// Adds the model-level metadata, encodes the container in memory and loads it.
    private static func load(layer: [KRUMetadataEntry], tensors: [KRUTensor]) throws -> KRUModel {
        let metadata: [KRUMetadataEntry] = [
            .init("kru.schema_version", .int(1)),
            .init("general.name", .string("kru-bench synthetic model")),
            .init("kru.input.kind", .string("tokens")),
            .init("kru.input.vocabulary", .stringArray(vocabulary)),
            .init("kru.layer_count", .int(1)),
        ] + layer + [
            .init("kru.output.kind", .string("categorical")),
            .init("kru.output.width", .int(Int64(vocabulary.count))),
            .init("kru.output.steps", .string("every")),
        ]
        let bytes = try KRUWriter(metadata: metadata, tensors: tensors).encode()
        return try KRUModel(file: KRUFile(bytes: bytes))
    }
}
