import Foundation
import Testing

/// `kru params` on model files of every cell kind and on a stack. Every count is checked against the element counts
/// of the tensors `kru inspect --json` lists — the container's directory, grouped here by the schema's tensor names
/// (spec/MODEL.md §3–§5), a path independent of the model loader that `kru params` counts through.
struct ParamsCommandTests {
    /// What the file's tensors hold, by the schema's names; complex numbers count two.
    struct TensorCounts {
        var embedding = 0, readout = 0, total = 0
        /// Per layer: per gate block, the recurrent entries (dense W_hh split into its G blocks of N rows).
        var gates: [[Int]] = []
        var input: [Int] = [], biases: [Int] = []
        var hidden: [Int] = [], cells: [String] = []

        init(inspecting path: String) throws {
            let result = try CLITests.kru("inspect", "--json", "--no-verify", path)
            #expect(result.status == 0, "\(result.stderr)")
            let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
            let document = try #require(parsed as? [String: Any])
            let metadata = try #require(document["metadata"] as? [[String: Any]])
            func value(_ key: String) -> Any? { metadata.first { $0["key"] as? String == key }?["value"] }
            let layerCount = try #require(value("kru.layer_count") as? Int)
            cells = (0..<layerCount).map { value("kru.layer.\($0).cell") as? String ?? "?" }
            hidden = (0..<layerCount).map { value("kru.layer.\($0).hidden_size") as? Int ?? 0 }
            let gateCount = cells.map { ["lstm": 4, "gru": 3][$0] ?? 1 }
            gates = gateCount.map { Array(repeating: 0, count: $0) }
            input = Array(repeating: 0, count: layerCount)
            biases = input
            for tensor in try #require(document["tensors"] as? [[String: Any]]) {
                let name = try #require(tensor["name"] as? String)
                let dtype = try #require(tensor["dtype"] as? String)
                let shape = try #require(tensor["shape"] as? [Int])
                let count = shape.reduce(1, *) * (dtype.hasPrefix("complex") ? 2 : 1)
                total += count
                let parts = name.split(separator: ".").map(String.init)
                if name == "input.embedding" {
                    embedding = count
                } else if parts[0] == "readout" {
                    readout += count
                } else if parts[0] == "layer", let l = Int(parts[1]) {
                    switch parts[2] {
                    case "weight_hh" where parts.count == 3:
                        for g in gates[l].indices { gates[l][g] += count / gateCount[l] }
                    case "weight_hh": gates[l][Int(parts[3])!] += count
                    case "weight_ih": input[l] += count
                    case "bias", "bias_ih", "bias_hh", "modrelu_bias": biases[l] += count
                    default: Issue.record("unexpected tensor \(name)")
                    }
                } else {
                    Issue.record("unexpected tensor \(name)")
                }
            }
        }
    }

    static func params(_ path: String) throws -> [String: Any] {
        let result = try CLITests.kru("params", "--json", path)
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// Checks `kru params --json` of `path` against its tensors, layer by layer and gate by gate.
    static func checkAgainstTensors(_ path: String) throws -> (document: [String: Any], tensors: TensorCounts) {
        let tensors = try TensorCounts(inspecting: path)
        let document = try params(path)
        let file = try #require(document["model_file"] as? [String: Any])
        #expect(file["total"] as? Int == tensors.total)
        #expect(file["embedding"] as? Int == tensors.embedding)
        #expect(file["readout"] as? Int == tensors.readout)
        #expect(file["recurrent"] as? Int == tensors.gates.joined().reduce(0, +))
        #expect(file["input_projections"] as? Int == tensors.input.reduce(0, +))
        #expect(file["cell_biases"] as? Int == tensors.biases.reduce(0, +))
        let layers = try #require(document["layers"] as? [[String: Any]])
        #expect(layers.count == tensors.gates.count)
        var denseRecurrent = 0
        for (l, layer) in layers.enumerated() {
            #expect(layer["cell"] as? String == tensors.cells[l])
            #expect(layer["hidden_size"] as? Int == tensors.hidden[l])
            #expect(layer["input"] as? Int == tensors.input[l] && layer["cell_biases"] as? Int == tensors.biases[l])
            let gates = try #require(layer["gates"] as? [[String: Any]])
            #expect(gates.map { $0["recurrent"] as? Int } == tensors.gates[l].map { $0 })
            // The dense cell of the same kind and N: N² per gate block, 2N² for the complex kru cell.
            let n = tensors.hidden[l], block = (tensors.cells[l] == "kru" ? 2 : 1) * n * n
            #expect(gates.allSatisfy { $0["dense"] as? Int == block })
            #expect(layer["dense_recurrent"] as? Int == block * gates.count)
            denseRecurrent += block * gates.count
        }
        #expect(file["dense_recurrent"] as? Int == denseRecurrent)
        #expect(file["dense_total"] as? Int == tensors.total - tensors.gates.joined().reduce(0, +) + denseRecurrent)
        return (document, tensors)
    }

    /// One zoo model of each kind: complex KRU, dense LSTM, GRU and tanh RNN, Kronecker-gated LSTMs of rank 1, 2, 4.
    @Test(arguments: [("kjv-kru512", true), ("kjv-lstm128", false), ("copy1000-gru128", false), ("kjv-rnn269", false),
                      ("kjv-lstm128-k4x4x8", true), ("austen-lstm256-kron", true), ("kjv-lstm128-k8x16r4-ft", true)])
    func zooModelCountsMatchTheirTensors(name: String, kronecker: Bool) throws {
        let (document, tensors) = try Self.checkAgainstTensors("models/\(name).kru")
        let layer = try #require((document["layers"] as? [[String: Any]])?.first)
        let gates = try #require(layer["gates"] as? [[String: Any]])
        let names = ["lstm": ["i", "f", "g", "o"], "gru": ["r", "z", "n"]][tensors.cells[0]] ?? ["W"]
        #expect(gates.map { $0["gate"] as? String } == names)
        #expect(layer["recurrence"] as? String == (kronecker ? "kronecker" : "dense"))
        // A KRU's first layer is also compared with the baselines, as before.
        #expect((document["rows"] != nil) == (tensors.cells[0] == "kru"))
    }

    /// A converted model with its recurrences made dense again is its source: kjv-lstm128-k4x4x8 and -k8x16r4 were
    /// converted from kjv-lstm128, so their dense counterpart has exactly kjv-lstm128's tensors' count.
    @Test func convertedModelsDenseCounterpartIsTheirSource() throws {
        let source = try TensorCounts(inspecting: "models/kjv-lstm128.kru").total
        for name in ["kjv-lstm128-k4x4x8", "kjv-lstm128-k8x16r4"] {
            let file = try #require(try Self.params("models/\(name).kru")["model_file"] as? [String: Any])
            #expect(file["dense_total"] as? Int == source, "\(name)")
        }
        let text = try CLITests.kru("params", "models/kjv-lstm128-k4x4x8.kru")
        #expect(text.status == 0)
        let rows = text.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        // Each gate block: 4×4 ⊗ 4×4 ⊗ 8×8 = 96 entries against 128² = 16,384.
        for gate in ["i", "f", "g", "o"] {
            #expect(rows.contains { $0.contains(Substring(gate)) && $0.suffix(3) == ["96", "16,384", "170.7"] },
                    "\(gate)")
        }
        #expect(rows.contains { $0.first == "total" && $0.suffix(2) == ["27,935", "\(grouped(source))"] })
    }

    /// A two-layer Kronecker-gated GRU stack, trained for one step: both layers, the second reading the first's N.
    @Test func aStackIsCountedLayerByLayer() throws {
        let out = TrainCommandTests.temporary("stack.kru")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let train = try CLITests.kru("train", "--task", "copy", "--delay", "5", "--cell", "gru", "--factors", "2x4",
                                     "--rank", "2", "--layers", "2", "--steps", "1", "--seed", "3", "-o", out)
        #expect(train.status == 0, "\(train.stderr)")
        let (document, tensors) = try Self.checkAgainstTensors(out)
        let layers = try #require(document["layers"] as? [[String: Any]])
        #expect(layers.count == 2 && tensors.cells == ["gru", "gru"])
        #expect(layers[1]["input_width"] as? Int == 8)
        let terms = try #require((layers[1]["gates"] as? [[String: Any]])?.first?["terms"] as? [[[Int]]])
        #expect(terms == [[[2, 2], [4, 4]], [[2, 2], [4, 4]]])
        #expect(tensors.gates.allSatisfy { $0 == [40, 40, 40] })  // 2 terms · (2·2 + 4·4) per block
    }

    /// "93,087" for 93087, as the report prints counts.
    func grouped(_ n: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.usesGroupingSeparator = true
        return formatter.string(from: NSNumber(value: n))!
    }
}
