import KRUInference

/// What `kru params FILE` prints about the parameters a model file stores: per layer and gate block against the
/// dense cell of the same kind and N, then the model's parts against the same model with dense recurrences.
struct StoredParametersReport {
    let path: String
    let counts: StoredParameters

    /// The text report: a summary line, the layer table and the parts table.
    var lines: [String] {
        var out = ["\(terminalSafe(path)): \(grouped(counts.recurrent)) recurrent, \(grouped(counts.total)) in all; "
                   + "with dense recurrences \(grouped(counts.denseRecurrent)) and \(grouped(counts.denseTotal))", ""]
        var table = [["layer", "cell", "N", "D", "recurrence", "gate", "factors", "recurrent", "dense", "×fewer"]]
        for (l, layer) in counts.layers.enumerated() {
            let first = ["\(l)", layer.cell.rawValue, "\(layer.hiddenSize)", "\(layer.inputWidth)", recurrence(layer)]
            let blank = Array(repeating: "", count: first.count)
            let blocks = layer.gates.count > 1 ? layer.gates : []
            for (b, gate) in blocks.enumerated() {
                table.append((b == 0 ? first : blank)
                             + [gate.name, factors(gate), grouped(gate.stored), grouped(layer.denseGateBlock),
                                ratio(layer.denseGateBlock, gate.stored)])
            }
            let shapes = blocks.isEmpty ? layer.gates.first.map(factors) ?? "" : ""
            table.append((blocks.isEmpty ? first : blank)
                         + ["all", shapes, grouped(layer.recurrent), grouped(layer.denseRecurrent),
                            ratio(layer.denseRecurrent, layer.recurrent)])
        }
        out += formatTable(table)
        out.append("")
        var parts = [["part", "parameters", "with dense recurrences"]]
        for (name, own, dense) in self.parts {
            parts.append([name, grouped(own), grouped(dense)])
        }
        out += formatTable(parts)
        return out
    }

    /// The report as the `model_file` and `layers` members of `kru params --json`.
    var json: [String: Any] {
        var file: [String: Any] = ["recurrent": counts.recurrent, "total": counts.total,
                                   "dense_recurrent": counts.denseRecurrent, "dense_total": counts.denseTotal]
        for (name, own, _) in parts where name != "recurrence" && name != "total" {
            file[name.replacingOccurrences(of: " ", with: "_")] = own
        }
        let layers = counts.layers.map { layer -> [String: Any] in
            ["cell": layer.cell.rawValue, "hidden_size": layer.hiddenSize, "input_width": layer.inputWidth,
             "recurrence": layer.gates.contains { !$0.terms.isEmpty } ? "kronecker" : "dense",
             "input": layer.input, "cell_biases": layer.biases, "recurrent": layer.recurrent,
             "dense_recurrent": layer.denseRecurrent, "total": layer.total,
             "gates": layer.gates.map { gate -> [String: Any] in
                 ["gate": gate.name, "recurrent": gate.stored, "dense": layer.denseGateBlock,
                  "terms": gate.terms.map { $0.map { [$0.rows, $0.columns] } }]
             }]
        }
        return ["model_file": file, "layers": layers]
    }

    /// The model's parts: (name, this model, the model with dense recurrences).
    private var parts: [(String, Int, Int)] {
        [("embedding", counts.embedding, counts.embedding),
         ("input projections", counts.inputProjections, counts.inputProjections),
         ("cell biases", counts.cellBiases, counts.cellBiases),
         ("recurrence", counts.recurrent, counts.denseRecurrent),
         ("readout", counts.readout, counts.readout),
         ("total", counts.total, counts.denseTotal)]
    }

    /// "dense", or "kronecker, rank r" (the most terms of any gate block).
    private func recurrence(_ layer: StoredParameters.Layer) -> String {
        let rank = layer.gates.map(\.terms.count).max() ?? 0
        return rank == 0 ? "dense" : "kronecker, rank \(rank)"
    }

    /// A Kronecker block's factor shapes, "8×8 ⊗ 16×16" (terms of other shapes joined by " + "); "-" when dense.
    private func factors(_ gate: StoredParameters.Layer.GateBlock) -> String {
        var distinct: [[KroneckerFactorShape]] = []
        for term in gate.terms where !distinct.contains(term) { distinct.append(term) }
        guard !distinct.isEmpty else { return "-" }
        return distinct.map { $0.map(\.description).joined(separator: " ⊗ ") }.joined(separator: " + ")
    }

    /// How many times fewer parameters than dense, one decimal.
    private func ratio(_ dense: Int, _ stored: Int) -> String {
        stored == 0 ? "-" : String(format: "%.1f", Double(dense) / Double(stored))
    }
}
