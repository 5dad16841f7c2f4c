import ArgumentParser
import Foundation
import KRUFormat
import KRUConvert
import KRUInference

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a model: a text for character models, or --inputs/--targets arrays for any model.",
        discussion: """
            Text: every character after the first is predicted from those before it, starting from the zero
            state; reports NLL, bits per character, perplexity ± error and top-1 accuracy. With --compare, also
            KL(reference ‖ model) and top-1 agreement against a reference model (for example the dense model a
            converted one came from).
            Data: --inputs is what `kru run` takes (.npy); --targets holds class ids (categorical: one per
            prediction), 0/1 per output (Bernoulli) or values per output (regression); reports the mean loss
            and accuracy.
            """
    )

    @Argument(help: "The .kru model.") var model: String
    @Argument(help: "A UTF-8 text file (character models).") var text: String?
    @Option(help: "Input array (.npy) for data scoring.") var inputs: String?
    @Option(help: "Target array (.npy) for data scoring.") var targets: String?
    @Option(help: "Per-sequence lengths (.npy, B integers) when --inputs holds B padded sequences: sequence b is scored at its first lengths[b] steps.")
    var lengths: String?
    @Option(help: "A reference model with the same vocabulary to compare against.") var compare: String?
    @Flag(help: "Drop characters the vocabulary lacks instead of failing.") var skipUnknown = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (text != nil) != (inputs != nil && targets != nil), (inputs == nil) == (targets == nil) else {
            throw ValidationError("give a text file, or both --inputs and --targets")
        }
    }

    func run() throws {
        let kru = try loadModel(model)
        if let inputs, let targets {
            return try scoreData(kru, inputs: inputs, targets: targets)
        }
        let text = text!
        guard let tokenizer = kru.tokenizer, kru.description.outputKind == .categorical else {
            printError("\(model) is not a categorical character model; `kru score` scores text")
            throw ExitCode(1)
        }
        let tokens = try encode(readText(text), with: tokenizer, skipUnknown: skipUnknown)
        let progress = ProgressLine(total: tokens.count, unit: "chars")
        let start = Date()
        let score = kru.score(tokens: tokens) { progress.update($0) }
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

extension Score {
    private func scoreData(_ kru: KRUModel, inputs: String, targets: String) throws {
        let outputs = try runModel(kru, onArrayAt: inputs).values
        let wanted = try readArray(targets)
        let targetValues: [Double]
        switch wanted.values {
        case .integer(let v): targetValues = v.map(Double.init)
        case .float(let v): targetValues = v.map(Double.init)
        case .double(let v): targetValues = v
        }
        let score: DataScore
        do {
            score = try kru.score(outputs: outputs, targets: targetValues, lengths: try lengths.map(readLengths))
        } catch let error as ModelInputError {
            printError("\(targets): \(error)")
            throw ExitCode(1)
        }
        let lossName = ["categorical": "cross-entropy (nats)", "bernoulli": "binary cross-entropy (nats/output)",
                        "regression": "squared error (per output)"][kru.description.outputKind.rawValue]!
        if json {
            var document: [String: Any] = ["model": model, "inputs": inputs, "targets": targets, "count": score.count,
                                           "loss": lossName, "mean_loss": score.meanLoss,
                                           "mean_loss_stderr": score.lossStandardError]
            if let accuracy = score.accuracy { document["accuracy"] = accuracy }
            if let step = score.meanStepLoss, let error = score.stepLossStandardError {
                document["nll_per_step"] = step
                document["nll_per_step_stderr"] = error
            }
            print(jsonString(document))
            return
        }
        print("\(model) on \(inputs): \(score.count) predictions scored")
        print("  mean \(lossName)  " + String(format: "%.5f ± %.5f", score.meanLoss, score.lossStandardError))
        if let accuracy = score.accuracy { print(String(format: "  accuracy  %.2f%%", 100 * accuracy)) }
        if let step = score.meanStepLoss, let error = score.stepLossStandardError {
            print("  negative log-likelihood per step (nats)  " + String(format: "%.4f ± %.4f", step, error))
        }
    }

    /// The integer lengths of a --lengths array.
    private func readLengths(_ path: String) throws -> [Int] {
        let array = try readArray(path)
        guard array.shape.count == 1, case .integer(let values) = array.values else {
            printError("\(path) must be a 1-D array of integer lengths, has shape \(array.shape)")
            throw ExitCode(1)
        }
        return values.map { Int(clamping: $0) }
    }
}
