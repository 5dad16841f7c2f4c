import KRUFormat
@testable import KRUInference

/// Small models built in the tests, for properties with closed-form answers.
enum TinyModels {
    /// A one-layer rnn_tanh token model over `vocabulary` whose readout ignores the state: its next-token
    /// logits are always `bias`, so every score has a closed form.
    static func constant(vocabulary: String, bias: [Float], hidden: Int = 3) throws -> KRUModel {
        let v = vocabulary.unicodeScalars.count
        precondition(bias.count == v)
        let metadata: [KRUMetadataEntry] = [
            .init("kru.schema_version", .int(1)),
            .init("kru.input.kind", .string("tokens")),
            .init("kru.input.vocabulary", .stringArray(vocabulary.unicodeScalars.map { String($0) })),
            .init("kru.layer_count", .int(1)),
            .init("kru.layer.0.cell", .string("rnn_tanh")),
            .init("kru.layer.0.hidden_size", .int(Int64(hidden))),
            .init("kru.layer.0.recurrent", .string("dense")),
            .init("kru.output.kind", .string("categorical")),
            .init("kru.output.width", .int(Int64(v))),
            .init("kru.output.steps", .string("every")),
        ]
        let tensors = [
            KRUTensor(name: "layer.0.weight_ih", shape: [hidden, v],
                      floats: (0..<hidden * v).map { Float($0 % 5) * 0.1 }),
            KRUTensor(name: "layer.0.weight_hh", shape: [hidden, hidden],
                      floats: [Float](repeating: 0.2, count: hidden * hidden)),
            KRUTensor(name: "readout.weight", shape: [v, hidden], floats: [Float](repeating: 0, count: v * hidden)),
            KRUTensor(name: "readout.bias", shape: [v], floats: bias),
        ]
        return try KRUModel(file: KRUFile(bytes: KRUWriter(metadata: metadata, tensors: tensors).encode()))
    }
}
