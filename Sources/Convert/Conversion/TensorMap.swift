import Foundation

/// Which checkpoint tensors play which part in a character model. Recognised automatically from PyTorch's
/// names and shapes (``DenseRecurrentCheckpoint/recognize(_:map:nonlinearity:)``), or given as a JSON file
/// (`kru convert --map FILE`):
///
/// ```json
/// {"embedding": "encoder.weight", "recurrent_prefix": "rnn.", "readout_weight": "decoder.weight",
///  "readout_bias": "decoder.bias"}
/// ```
/// `embedding` may be null (one-hot input); the recurrent tensors are `<prefix>weight_ih_l<k>`,
/// `<prefix>weight_hh_l<k>`, `<prefix>bias_ih_l<k>`, `<prefix>bias_hh_l<k>` as in `nn.RNN`/`nn.LSTM`/`nn.GRU`.
public struct TensorMap: Equatable, Sendable, Codable {
    public var embedding: String?
    public var recurrentPrefix: String
    public var readoutWeight: String
    public var readoutBias: String?

    public init(embedding: String?, recurrentPrefix: String, readoutWeight: String, readoutBias: String?) {
        self.embedding = embedding
        self.recurrentPrefix = recurrentPrefix
        self.readoutWeight = readoutWeight
        self.readoutBias = readoutBias
    }

    enum CodingKeys: String, CodingKey {
        case embedding, recurrentPrefix = "recurrent_prefix", readoutWeight = "readout_weight",
             readoutBias = "readout_bias"
    }

    /// Reads a map from a JSON file (at most 64 KiB).
    public static func read(path: String) throws -> TensorMap {
        let data = try strictJSON(readSmallFile(path, limit: 64 << 10, what: "map file"), what: "map file", path: path)
        guard let map = try? JSONDecoder().decode(TensorMap.self, from: data) else {
            throw ConversionError("the map file \(path) is not a JSON object with the strings recurrent_prefix and "
                                  + "readout_weight (and optional embedding, readout_bias)")
        }
        return map
    }
}
