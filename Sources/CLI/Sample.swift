import ArgumentParser
import Foundation
import KRUInference

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stream text from a token model (characters, words or bytes).",
        discussion: """
            Reads the prime, then samples one token at a time and prints it as it is produced (on a terminal \
            at once; into a pipe or file a line or 4 KB at a time). Sampling follows spec/SAMPLING.md with the \
            project's own generator, so a seed gives the same text on every platform. Without --seed a seed is \
            drawn and printed to standard error as "seed: N".

            A word model's prime keeps its last line open (no <eos> unless it ends with a line end), and words \
            print as its tokenizer joins them: a space between words, a line end for <eos>.

            --stop ends the text at the first occurrence of a stop sequence (which is not printed). --json prints \
            one JSON object per token (token id, text, log-probability) and a summary with the seed and the \
            finish reason. --interactive reads standard input line by line: each line is read by the model, \
            which then continues from its state. --save-state and --load-state keep that state in a file, the \
            recurrent model's prompt cache.
            """
    )

    @Argument(help: "The model: a .kru path, or a name in the models directory (kjv-lstm512).",
              completion: .file(extensions: ["kru"]))
    var model: String
    @OptionGroup var lookup: ModelsOption
    @OptionGroup var threads: ThreadsOption
    @Option(help: "Text to start from.") var prime: String?
    @Option(help: "Read the prime from a file (UTF-8); - reads standard input.", completion: .file())
    var primeFile: String?
    @Option(parsing: .unconditional, help: "Tokens to generate (per turn with --interactive).") var length = 500
    @Flag(help: "No length limit: generate until a --stop sequence appears.") var untilStop = false
    @Option(parsing: .unconditional, help: "Softmax temperature, 0 or more; 0 = always the most probable token.")
    var temperature = 1.0
    @Option(parsing: .unconditional, help: "Sample only from the k most probable tokens, k ≥ 1 (default: all).")
    var topK: Int?
    @Option(parsing: .unconditional,
            help: "Sample only from the most probable tokens with total mass p, p in (0, 1]; 1 = off.")
    var topP = 1.0
    @Option(help: "Seed (0 … 2^64−1) of the sampling generator.") var seed: UInt64?
    @Option(help: "End the text where this string appears (not printed); repeatable.") var stop: [String] = []
    @Flag(help: "Print JSON lines: one per token, then a summary.") var json = false
    @Flag(help: "Read standard input line by line; the model continues after each line.") var interactive = false
    @Option(help: "Start from a state saved with --save-state (before the prime).", completion: .file())
    var loadState: String?
    @Option(help: "Save the model's state here at the end (atomically).", completion: .file()) var saveState: String?
    @Flag(help: "Drop prime tokens the vocabulary lacks instead of failing.") var skipUnknown = false
    @Flag(help: "Do not echo the prime before the generated text.") var noEcho = false

    func validate() throws {
        guard prime == nil || primeFile == nil else { throw ValidationError("give --prime or --prime-file, not both") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1; leave it out to sample from all") }
        guard !untilStop || !stop.isEmpty else { throw ValidationError("--until-stop needs at least one --stop") }
        guard !interactive || primeFile != "-" else {
            throw ValidationError("--interactive reads standard input; --prime-file - cannot read it too")
        }
    }

    func run() throws {
        let kru = try loadModel(lookup.path(of: model))
        let options = GenerationOptions(length: untilStop ? nil : length, temperature: temperature, topK: topK ?? 0,
                                        topP: topP, seed: seed ?? 0, stop: stop)
        try reporting { try options.validate() }
        let session = try reporting { try GenerationSession(model: kru, threads: threads.count) }
        if let loadState {
            let state = try reporting(loadState) { try KRUSessionState(path: loadState, model: kru) }
            try reporting(loadState) { try session.restore(state) }
        }
        var settings = options
        settings.seed = seed ?? {
            let drawn = KRURandom.systemSeed()
            FileHandle.standardError.write(Data("seed: \(drawn)\n".utf8))
            return drawn
        }()
        let output = TextOutput(flushEveryToken: isatty(STDOUT_FILENO) == 1)
        let primeText = try primeFile.map(readText) ?? prime ?? ""
        try read(primeText, into: session, echo: !noEcho && !json, output: output)
        try generate(session, settings, output: output)
        if interactive {
            // A line ends with its newline when the model knows a line end (the newline character, or a word
            // model's <eos>): the model then reads it, as it would in a text; otherwise the newline is dropped.
            // Turn k draws with seed + k.
            let vocabulary = session.tokenizer.vocabulary
            let keepNewline = vocabulary.tokens.contains(vocabulary.tokenizer == .words ? Vocabulary.endOfLine : "\n")
            let firstSeed = settings.seed
            var turn: UInt64 = 0
            while let line = readLine(strippingNewline: !keepNewline) {
                turn += 1
                try read(line, into: session, echo: false, output: output)
                settings.seed = firstSeed &+ turn
                try generate(session, settings, output: output)
            }
        }
        if let saveState {
            try reporting(saveState) { try session.state.write(toPath: saveState) }
        }
    }

    /// Reads `text` into the session; a word model's last line stays open (no `<eos>` unless `text` ends a line).
    private func read(_ text: String, into session: GenerationSession, echo: Bool, output: TextOutput) throws {
        let tokens = try encode(text, with: session.tokenizer, skipUnknown: skipUnknown, closingLastLine: false)
        let previous = session.lastToken
        try reporting { try session.append(tokens: tokens) }
        if echo { output.write(session.tokenizer.decode(tokens, previous: previous)) }
    }

    /// Generates one text and prints it (or its JSON lines), ending with a newline (or the JSON summary).
    private func generate(_ session: GenerationSession, _ options: GenerationOptions, output: TextOutput) throws {
        var count = 0
        var reason: FinishReason?
        for token in try reporting(nil, { try session.tokens(options) }) {
            count += 1
            reason = token.finishReason
            if json {
                output.write(jsonString(["token": token.id, "text": token.text, "logprob": token.logProbability],
                                        compact: true) + "\n")
            } else {
                output.write(token.text)
            }
        }
        if json {
            var summary: [String: Any] = ["seed": String(options.seed), "tokens": count,
                                          "finish_reason": reason.map { "\($0)" } ?? "length"]
            if case .stop(let sequence) = reason { summary["stop"] = sequence }
            output.write(jsonString(["summary": summary], compact: true) + "\n")
        } else {
            output.write("\n")
        }
        output.flush()
    }
}

/// Standard output for generated text: written through at once on a terminal, so each character appears as it
/// is sampled; otherwise gathered and written a line (or 4 KB) at a time, since one write per character costs a
/// system call each.
final class TextOutput {
    private let flushEveryToken: Bool
    private var buffer = Data()

    init(flushEveryToken: Bool) {
        self.flushEveryToken = flushEveryToken
        buffer.reserveCapacity(8192)
    }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if flushEveryToken || buffer.count >= 4096 || text.contains("\n") { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
