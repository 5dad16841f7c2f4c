import ArgumentParser
import Foundation
import KRUFormat
import KRUConvert
import KRUInference

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a model: a text for character models, or --inputs/--targets arrays for any model.",
        discussion: "Text (a file, or - for standard input): every character after the first is predicted from those "
            + "before it, starting from the zero state; reports NLL, bits per character, perplexity ± error and "
            + "top-1 accuracy. With --compare, also KL(reference ‖ model) and top-1 agreement against a reference "
            + "model with the same vocabulary (for example the dense model a converted one came from). --streams B "
            + "cuts the text into B contiguous pieces scored side by side from the zero state (faster; each piece's "
            + "first character goes unpredicted, so the figure differs slightly from the exact single stream). "
            + "Data: --inputs is what `kru run` takes (.npy); --targets holds class ids (categorical: one per "
            + "prediction), 0/1 per output (Bernoulli) or values per output (regression); reports the mean loss and "
            + "accuracy."
    )

    @Argument(help: "The model: a .kru path, or a name in the models directory (kjv-lstm512).",
              completion: .file(extensions: ["kru"]))
    var model: String
    @Argument(help: "A UTF-8 text (character models); - reads standard input.", completion: .file()) var text: String?
    @Option(help: "Input array (.npy) for data scoring.", completion: .file(extensions: ["npy"])) var inputs: String?
    @Option(help: "Target array (.npy) for data scoring.", completion: .file(extensions: ["npy"])) var targets: String?
    @Option(help: ArgumentHelp("Per-sequence lengths (.npy, B integers) when --inputs holds B padded sequences: "
                               + "sequence b is scored at its first lengths[b] steps (1 … T)."),
            completion: .file(extensions: ["npy"]))
    var lengths: String?
    @Option(help: "A reference model with the same vocabulary to compare against (a path or a model name).",
            completion: .file(extensions: ["kru"]))
    var compare: String?
    @Option(help: "Score the text as this many pieces side by side (1 = the exact single stream).") var streams = 1
    @Flag(help: "Drop characters the vocabulary lacks instead of failing (the report says how many).")
    var skipUnknown = false
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var lookup: ModelsOption
    @OptionGroup var threads: ThreadsOption

    func validate() throws {
        guard (text != nil) != (inputs != nil && targets != nil), (inputs == nil) == (targets == nil) else {
            throw ValidationError("give a text file, or both --inputs and --targets")
        }
        if text != nil {
            guard lengths == nil else {
                throw ValidationError("--lengths applies to --inputs/--targets, not to a text")
            }
        } else {
            guard compare == nil, !skipUnknown else {
                throw ValidationError("--compare and --skip-unknown apply to a text")
            }
        }
    }

    func run() throws {
        let kru = try loadModel(lookup.path(of: model))
        if let inputs, let targets {
            return try scoreData(kru, inputs: inputs, targets: targets)
        }
        let text = text!
        guard let tokenizer = kru.tokenizer, kru.description.outputKind == .categorical else {
            throw CLIError(.dataError, "\(model) is not a categorical character model; score it with "
                               + "--inputs/--targets instead of a text")
        }
        let reference = try compare.map { try comparableReference($0, to: kru) }
        let content = try readText(text)
        let tokens = try encode(content, with: tokenizer, skipUnknown: skipUnknown)
        let unit = tokenizer.vocabulary.unitName
        let skipped = tokenizer.pieces(content).count - tokens.count
        guard tokens.count >= 2 else {
            let dropped = skipped > 0 ? " after dropping \(skipped) \(unit)(s) the vocabulary lacks" : ""
            throw CLIError(.dataError, "\(text) has \(tokens.count) \(unit)(s)\(dropped); scoring predicts every "
                               + "\(unit) after the first, so it needs at least 2")
        }
        let progress = ProgressLine(total: tokens.count,
                                    unit: tokenizer.vocabulary.tokenizer == .characters ? "chars" : "tokens")
        let start = Date()
        let score = try reporting { try kru.score(tokens: tokens, streams: streams, threads: threads.count) {
            progress.update($0)
        } }
        let seconds = Date().timeIntervalSince(start)
        progress.finish()
        let comparison = try reference.map { try kru.compare(with: $0, tokens: tokens) }
        if tokenizer.vocabulary.tokenizer != .characters {
            let words = WordScore(score: score, tokens: tokens, vocabulary: tokenizer.vocabulary)
            return print(json ? words.json(model: model, text: text, seconds: seconds, skipped: skipped,
                                           comparison: comparison.map { (compare!, $0) })
                              : words.text(model: model, text: text, seconds: seconds, skipped: skipped,
                                           comparison: comparison.map { (compare!, $0) }))
        }
        if json {
            var document: [String: Any] = [
                "model": model, "text": text, "tokens": score.tokenCount, "mean_nll": score.meanNLL,
                "mean_nll_stderr": score.standardError, "bits_per_char": score.bitsPerToken,
                "perplexity": score.perplexity, "perplexity_stderr": score.perplexityError,
                "top1_accuracy": score.accuracy, "seconds": seconds, "chars_per_second": Double(tokens.count) / seconds,
                "streams": streams,
                "skipped_characters": skipped,
            ]
            if let comparison {
                document["compare"] = ["reference": compare!, "mean_kl": comparison.meanKL,
                                       "mean_kl_stderr": comparison.klStandardError,
                                       "top1_agreement": comparison.topOneAgreement]
            }
            print(jsonString(document))
            return
        }
        let pieces = streams > 1 ? " (\(streams) pieces scored side by side)" : ""
        print("\(terminalSafe(model)) on \(terminalSafe(text)): \(score.tokenCount) characters predicted\(pieces)")
        if skipped > 0 { print("  skipped       \(skipped) characters not in the vocabulary") }
        print(String(format: "  mean NLL      %.4f ± %.4f nats/char", score.meanNLL, score.standardError))
        print(String(format: "  bits/char     %.4f ± %.4f", score.bitsPerToken, score.standardError / M_LN2))
        print(String(format: "  perplexity    %.4f ± %.4f", score.perplexity, score.perplexityError))
        print(String(format: "  top-1 acc.    %.2f%%", 100 * score.accuracy))
        print(String(format: "  throughput    %.0f chars/s (%.2f s)", Double(tokens.count) / seconds, seconds))
        if let comparison {
            print("against \(terminalSafe(compare!)):")
            print(String(format: "  KL(ref ‖ model) %.5f ± %.5f nats/char", comparison.meanKL,
                         comparison.klStandardError))
            print(String(format: "  top-1 agreement %.2f%%", 100 * comparison.topOneAgreement))
        }
    }

    /// The --compare model, which must predict the same characters as `kru`.
    private func comparableReference(_ path: String, to kru: KRUModel) throws -> KRUModel {
        let reference = try loadModel(lookup.path(of: path))
        guard reference.description.outputKind == .categorical, let theirs = reference.description.vocabulary else {
            throw CLIError(.dataError,
                           "\(path) is not a categorical character model, so it cannot be compared with \(model)")
        }
        let ours = kru.description.vocabulary!
        guard theirs == ours else {
            let onlyOurs = Set(ours.tokens).subtracting(theirs.tokens).count
            let onlyTheirs = Set(theirs.tokens).subtracting(ours.tokens).count
            let unit = ours.unitName
            let detail = theirs.tokenizer != ours.tokenizer
                ? "\(theirs.tokenizer.rawValue) against \(ours.tokenizer.rawValue)"
                : onlyOurs + onlyTheirs == 0 ? "the same \(unit)s in another order"
                : "\(onlyOurs) \(unit)(s) only in \(model), \(onlyTheirs) only in \(path)"
            throw CLIError(.dataError, "\(path) has a different vocabulary from \(model) (\(theirs.count) vs "
                               + "\(ours.count) \(unit)s; \(detail)); --compare needs the same vocabulary")
        }
        return reference
    }
}

extension Score {
    private func scoreData(_ kru: KRUModel, inputs: String, targets: String) throws {
        let run = try runModel(kru, onArrayAt: inputs)
        let wanted = try readArray(targets)
        let targetValues: [Double]
        switch wanted.values {
        case .integer(let v): targetValues = v.map(Double.init)
        case .float(let v): targetValues = v.map(Double.init)
        case .double(let v): targetValues = v
        }
        let sequenceLengths = try lengths.map { try readLengths($0, run: run, inputs: inputs) }
        let score = try reporting(targets) {
            try kru.score(outputs: run.values, targets: targetValues, lengths: sequenceLengths)
        }
        guard score.count > 0 else { throw CLIError(.dataError, "\(targets): no prediction was scored") }
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
        print("\(terminalSafe(model)) on \(terminalSafe(inputs)): \(score.count) predictions scored")
        print("  mean \(lossName)  " + String(format: "%.5f ± %.5f", score.meanLoss, score.lossStandardError))
        if let accuracy = score.accuracy { print(String(format: "  accuracy  %.2f%%", 100 * accuracy)) }
        if let step = score.meanStepLoss, let error = score.stepLossStandardError {
            print("  negative log-likelihood per step (nats)  " + String(format: "%.4f ± %.4f", step, error))
        }
    }

    /// The --lengths array: one integer per input sequence, each in 1 … T (the padded length).
    private func readLengths(_ path: String, run: ModelRun, inputs: String) throws -> [Int] {
        let array = try readArray(path)
        guard array.shape.count == 1, case .integer(let values) = array.values else {
            throw CLIError(.dataError,
                           "\(path) must be a 1-D array of integer lengths, has shape \(array.shape) of \(array.dtype)")
        }
        guard values.count == run.batch else {
            throw CLIError(.dataError,
                           "\(path) holds \(values.count) lengths but \(inputs) holds \(run.batch) sequence(s)")
        }
        if let (index, bad) = values.enumerated().first(where: { !(1...Int64(run.steps)).contains($0.element) }) {
            throw CLIError(.dataError,
                           "\(path): length \(bad) at position \(index) is outside 1 … \(run.steps), "
                               + "the steps of \(inputs)")
        }
        return values.map { Int($0) }
    }
}
