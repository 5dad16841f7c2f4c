import Foundation
import KRUInference

/// `kru score` for models whose tokens are not characters (words, bytes): the statistics per token, as
/// word_language_model reports its perplexity (every `<eos>` is a token), and per word of the text, so that models
/// with different tokens can be compared on the same text: perplexity per word = exp(total NLL / words predicted),
/// where the words are the predicted tokens other than `<eos>` (word models) or the text's whitespace-separated
/// words (byte models).
struct WordScore {
    let score: TextScore
    let unit: String
    /// Words among the predicted tokens.
    let words: Int

    init(score: TextScore, tokens: [Int], vocabulary: Vocabulary) {
        self.score = score
        unit = vocabulary.unitName
        switch vocabulary.tokenizer {
        case .words:
            words = tokens.dropFirst().filter { vocabulary[$0] != Vocabulary.endOfLine }.count
        case .bytes, .characters:
            let text = Tokenizer(vocabulary: vocabulary).decode(tokens)
            words = TextSplitting.words(text).filter { $0 != Vocabulary.endOfLine }.count
        }
    }

    var totalNLL: Double { score.meanNLL * Double(score.tokenCount) }
    var perplexityPerWord: Double { words > 0 ? exp(totalNLL / Double(words)) : .nan }

    func text(model: String, text: String, seconds: Double, skipped: Int,
              comparison: (reference: String, ModelComparison)?) -> String {
        var lines = ["\(terminalSafe(model)) on \(terminalSafe(text)): \(score.tokenCount) tokens predicted "
                     + "(\(unit)s\(unit == "word" ? " and <eos>" : "")), \(words) words"]
        if skipped > 0 { lines.append("  skipped              \(skipped) \(unit)s not in the vocabulary") }
        lines.append(String(format: "  mean NLL             %.4f ± %.4f nats/token", score.meanNLL,
                            score.standardError))
        lines.append(String(format: "  bits/token           %.4f ± %.4f", score.bitsPerToken,
                            score.standardError / M_LN2))
        lines.append(String(format: "  perplexity per token %.4f ± %.4f", score.perplexity, score.perplexityError))
        lines.append(String(format: "  perplexity per word  %.4f", perplexityPerWord))
        lines.append(String(format: "  top-1 acc.           %.2f%%", 100 * score.accuracy))
        lines.append(String(format: "  throughput           %.0f tokens/s (%.2f s)",
                            Double(score.tokenCount + 1) / seconds, seconds))
        if let (reference, comparison) = comparison {
            lines.append("against \(terminalSafe(reference)):")
            lines.append(String(format: "  KL(ref ‖ model) %.5f ± %.5f nats/token", comparison.meanKL,
                                comparison.klStandardError))
            lines.append(String(format: "  top-1 agreement %.2f%%", 100 * comparison.topOneAgreement))
        }
        return lines.joined(separator: "\n")
    }

    func json(model: String, text: String, seconds: Double, skipped: Int,
              comparison: (reference: String, ModelComparison)?) -> String {
        var document: [String: Any] = [
            "model": model, "text": text, "unit": unit, "tokens": score.tokenCount, "words": words,
            "mean_nll": score.meanNLL, "mean_nll_stderr": score.standardError, "bits_per_token": score.bitsPerToken,
            "perplexity": score.perplexity, "perplexity_stderr": score.perplexityError,
            "perplexity_per_word": perplexityPerWord, "top1_accuracy": score.accuracy, "seconds": seconds,
            "tokens_per_second": Double(score.tokenCount + 1) / seconds, "skipped_tokens": skipped,
        ]
        if let (reference, comparison) = comparison {
            document["compare"] = ["reference": reference, "mean_kl": comparison.meanKL,
                                   "mean_kl_stderr": comparison.klStandardError,
                                   "top1_agreement": comparison.topOneAgreement]
        }
        return jsonString(document)
    }
}
