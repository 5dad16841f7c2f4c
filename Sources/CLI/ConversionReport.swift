import Foundation
import KRUConvert
import KRUInference

/// Scores of the dense and the converted model on the same text.
struct ConversionEvaluation {
    let dense: TextScore
    let converted: TextScore
    let comparison: ModelComparison
}

/// What `kru convert` prints: per-block errors, parameter counts before and after, and the evaluation.
struct ConversionReport {
    let output: String
    let result: ConversionResult
    let denseParameters: Int
    let denseRecurrent: Int
    let convertedParameters: Int
    let convertedRecurrent: Int
    let evaluation: ConversionEvaluation?

    func text() -> String {
        var lines = ["wrote \(terminalSafe(output))"]
        if !result.blocks.isEmpty {
            var table = [["layer", "gate", "factors", "rank", "rel. error", "captured energy", "optimum (2 factors)", "start (sequential)", "seconds"]]
            for b in result.blocks {
                table.append(["\(b.layer)", b.gate, b.shapes.map(\.description).joined(separator: " ⊗ "), "\(b.rank)",
                              String(format: "%.6f", b.relativeError), String(format: "%.6f", b.capturedEnergy),
                              b.optimalRelativeError.map { String(format: "%.6f", $0) } ?? "-",
                              b.startRelativeError.map { String(format: "%.6f", $0) } ?? "-", String(format: "%.2f", b.seconds)])
            }
            lines += formatTable(table)
        }
        lines.append("parameters: dense \(denseParameters) (recurrent \(denseRecurrent)) → converted \(convertedParameters) (recurrent \(convertedRecurrent))")
        if let e = evaluation {
            lines.append(String(format: "bits/char: dense %.4f ± %.4f, converted %.4f ± %.4f over %d characters",
                                e.dense.bitsPerToken, e.dense.standardError / M_LN2, e.converted.bitsPerToken,
                                e.converted.standardError / M_LN2, e.dense.tokenCount))
            lines.append(String(format: "KL(dense ‖ converted) %.5f ± %.5f nats/char, top-1 agreement %.2f%%",
                                e.comparison.meanKL, e.comparison.klStandardError, 100 * e.comparison.topOneAgreement))
        }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var document: [String: Any] = [
            "output": output,
            "parameters": ["dense": denseParameters, "dense_recurrent": denseRecurrent,
                           "converted": convertedParameters, "converted_recurrent": convertedRecurrent],
            "blocks": result.blocks.map { b -> [String: Any] in
                var block: [String: Any] = ["layer": b.layer, "gate": b.gate, "factors": b.shapes.map { [$0.rows, $0.columns] },
                                            "rank": b.rank, "relative_error": b.relativeError,
                                            "captured_energy": b.capturedEnergy, "seconds": b.seconds]
                if let optimum = b.optimalRelativeError { block["optimal_relative_error"] = optimum }
                if let start = b.startRelativeError { block["start_relative_error"] = start }
                return block
            },
        ]
        if let e = evaluation {
            document["evaluation"] = [
                "characters": e.dense.tokenCount, "dense_bits_per_char": e.dense.bitsPerToken,
                "converted_bits_per_char": e.converted.bitsPerToken, "mean_kl": e.comparison.meanKL,
                "mean_kl_stderr": e.comparison.klStandardError, "top1_agreement": e.comparison.topOneAgreement,
            ]
        }
        return jsonString(document)
    }
}
