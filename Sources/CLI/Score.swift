import ArgumentParser
import Foundation
import KRUFormat
import KRUInference

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a text with a character model: NLL, bits per character, perplexity ± error.",
        discussion: """
            Every character after the first is predicted from those before it, starting from the zero state.
            With --compare, also reports KL(reference ‖ model) and top-1 agreement against a reference model
            (for example the dense model a converted one came from).
            """
    )

    @Argument(help: "The .kru model.") var model: String
    @Argument(help: "A UTF-8 text file.") var text: String
    @Option(help: "A reference model with the same vocabulary to compare against.") var compare: String?
    @Flag(help: "Drop characters the vocabulary lacks instead of failing.") var skipUnknown = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let kru = try loadModel(model)
        guard let tokenizer = kru.tokenizer, kru.description.outputKind == .categorical else {
            printError("\(model) is not a categorical character model; `kru score` scores text")
            throw ExitCode(1)
        }
        let tokens = try encode(readText(text), with: tokenizer, skipUnknown: skipUnknown)
        let progress = ProgressLine(total: tokens.count, unit: "chars")
        let start = Date()
        let score = kru.score(tokens: tokens, progress: progress.update)
        let seconds = Date().timeIntervalSince(start)
        progress.finish()
        let comparison = try compare.map { path in kru.compare(with: try loadModel(path), tokens: tokens) }
        if json {
            var document: [String: Any] = [
                "model": model, "text": text, "tokens": score.tokenCount, "mean_nll": score.meanNLL,
                "mean_nll_stderr": score.standardError, "bits_per_char": score.bitsPerToken,
                "perplexity": score.perplexity, "perplexity_stderr": score.perplexityError,
                "top1_accuracy": score.accuracy, "seconds": seconds, "chars_per_second": Double(tokens.count) / seconds,
            ]
            if let comparison {
                document["compare"] = ["reference": compare!, "mean_kl": comparison.meanKL,
                                       "mean_kl_stderr": comparison.klStandardError,
                                       "top1_agreement": comparison.topOneAgreement]
            }
            print(jsonString(document))
            return
        }
        print("\(model) on \(text): \(score.tokenCount) characters predicted")
        print(String(format: "  mean NLL      %.4f ± %.4f nats/char", score.meanNLL, score.standardError))
        print(String(format: "  bits/char     %.4f ± %.4f", score.bitsPerToken, score.standardError / M_LN2))
        print(String(format: "  perplexity    %.4f ± %.4f", score.perplexity, score.perplexityError))
        print(String(format: "  top-1 acc.    %.2f%%", 100 * score.accuracy))
        print(String(format: "  throughput    %.0f chars/s (%.2f s)", Double(tokens.count) / seconds, seconds))
        if let comparison {
            print("against \(compare!):")
            print(String(format: "  KL(ref ‖ model) %.5f ± %.5f nats/char", comparison.meanKL, comparison.klStandardError))
            print(String(format: "  top-1 agreement %.2f%%", 100 * comparison.topOneAgreement))
        }
    }
}

/// Loads a model, turning format and schema errors into the one-line error every command promises.
func loadModel(_ path: String) throws -> KRUModel {
    try reportingFormatErrors(in: path) {
        do {
            return try KRUModel(path: path)
        } catch let error as ModelSchemaError {
            printError("\(path): not a valid model: \(error)")
            throw ExitCode(1)
        }
    }
}

/// A whole UTF-8 text file.
func readText(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        printError("cannot read \(path)")
        throw ExitCode(1)
    }
    guard let text = String(data: data, encoding: .utf8) else {
        printError("\(path) is not valid UTF-8")
        throw ExitCode(1)
    }
    return text
}

/// Token ids of `text`, failing with the list of unknown characters unless told to skip them.
func encode(_ text: String, with tokenizer: Tokenizer, skipUnknown: Bool) throws -> [Int] {
    do {
        return try tokenizer.encode(text, unknown: skipUnknown ? .skip : .refuse)
    } catch let error as UnknownCharactersError {
        printError("\(error) (use --skip-unknown to drop them)")
        throw ExitCode(1)
    }
}
