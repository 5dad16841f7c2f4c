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
            var table = [["layer", "gate", "factors", "rank", "rel. error", "captured energy", "optimum (2 factors)",
                          "start (sequential)", "seconds"]]
            for b in result.blocks {
                table.append(["\(b.layer)", b.gate, b.shapes.map(\.description).joined(separator: " ⊗ "), "\(b.rank)",
                              String(format: "%.6f", b.relativeError), String(format: "%.6f", b.capturedEnergy),
                              b.optimalRelativeError.map { String(format: "%.6f", $0) } ?? "-",
                              b.startRelativeError.map { String(format: "%.6f", $0) } ?? "-",
                              String(format: "%.2f", b.seconds)])
            }
            lines += formatTable(table)
        }
        if result.description.tiedReadout { lines.append("readout tied to the embedding: stored once") }
        lines.append("parameters: dense \(denseParameters) (recurrent \(denseRecurrent)) → "
                     + "converted \(convertedParameters) (recurrent \(convertedRecurrent))")
        if let e = evaluation {
            let unit = result.description.vocabulary!.unitName
            let short = unit == "character" ? "char" : unit
            lines.append(String(format: "bits/%@: dense %.4f ± %.4f, converted %.4f ± %.4f over %d %@s", short,
                                e.dense.bitsPerToken, e.dense.standardError / M_LN2, e.converted.bitsPerToken,
                                e.converted.standardError / M_LN2, e.dense.tokenCount, unit))
            lines.append(String(format: "perplexity per %@: dense %.3f, converted %.3f", unit, e.dense.perplexity,
                                e.converted.perplexity))
            lines.append(String(format: "KL(dense ‖ converted) %.5f ± %.5f nats/%@, top-1 agreement %.2f%%",
                                e.comparison.meanKL, e.comparison.klStandardError, short,
                                100 * e.comparison.topOneAgreement))
        }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var document: [String: Any] = [
            "output": output,
            "parameters": ["dense": denseParameters, "dense_recurrent": denseRecurrent,
                           "converted": convertedParameters, "converted_recurrent": convertedRecurrent],
            "blocks": result.blocks.map { b -> [String: Any] in
                var block: [String: Any] = ["layer": b.layer, "gate": b.gate,
                                            "factors": b.shapes.map { [$0.rows, $0.columns] }, "rank": b.rank,
                                            "relative_error": b.relativeError, "captured_energy": b.capturedEnergy,
                                            "seconds": b.seconds]
                if let optimum = b.optimalRelativeError { block["optimal_relative_error"] = optimum }
                if let start = b.startRelativeError { block["start_relative_error"] = start }
                return block
            },
        ]
        if let e = evaluation {
            var evaluation: [String: Any] = [
                "tokens": e.dense.tokenCount, "dense_bits_per_token": e.dense.bitsPerToken,
                "converted_bits_per_token": e.converted.bitsPerToken, "dense_perplexity": e.dense.perplexity,
                "converted_perplexity": e.converted.perplexity, "mean_kl": e.comparison.meanKL,
                "mean_kl_stderr": e.comparison.klStandardError, "top1_agreement": e.comparison.topOneAgreement,
            ]
            if result.description.vocabulary?.tokenizer == .characters {  // the names of the character reports
                evaluation["characters"] = e.dense.tokenCount
                evaluation["dense_bits_per_char"] = e.dense.bitsPerToken
                evaluation["converted_bits_per_char"] = e.converted.bitsPerToken
            }
            document["evaluation"] = evaluation
        }
        return jsonString(document)
    }
}
