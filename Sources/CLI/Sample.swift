import ArgumentParser
import Foundation
import KRUInference

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stream text from a character model.",
        discussion: """
            Feeds the prime, then samples one character at a time and prints it as it is produced. Sampling
            follows spec/SAMPLING.md with the project's own generator, so a seed gives the same text on every
            platform. Without --seed a seed is drawn and printed to standard error as "seed: N".
            """
    )

    @Argument(help: "The .kru model.") var model: String
    @Option(help: "Text to start from.") var prime: String?
    @Option(help: "Read the prime from a file (UTF-8).") var primeFile: String?
    @Option(help: "Characters to generate.") var length = 500
    @Option(help: "Softmax temperature; 0 = always the most probable character.") var temperature = 1.0
    @Option(help: "Sample only from the k most probable characters; 0 = off.") var topK = 0
    @Option(help: "Sample only from the most probable characters with total mass p; 1 = off.") var topP = 1.0
    @Option(help: "Seed (0 … 2^64−1) of the sampling generator.") var seed: UInt64?
    @Flag(help: "Drop prime characters the vocabulary lacks instead of failing.") var skipUnknown = false
    @Flag(help: "Do not echo the prime before the generated text.") var noEcho = false

    func validate() throws {
        guard length >= 0 else { throw ValidationError("--length must be 0 or more") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard prime == nil || primeFile == nil else { throw ValidationError("give --prime or --prime-file, not both") }
    }

    func run() throws {
        let kru = try loadModel(model)
        guard let tokenizer = kru.tokenizer, kru.description.outputKind == .categorical else {
            throw CLIError(.dataError, "\(model) is not a categorical character model; `kru sample` generates text")
        }
        let primeText = try primeFile.map(readText) ?? prime ?? ""
        let primeTokens = try encode(primeText, with: tokenizer, skipUnknown: skipUnknown)
        let seed = seed ?? {
            let drawn = KRURandom.systemSeed()
            FileHandle.standardError.write(Data("seed: \(drawn)\n".utf8))
            return drawn
        }()
        let options = GenerationOptions(length: length, temperature: temperature, topK: topK, topP: topP, seed: seed)
        let output = FileHandle.standardOutput
        if !noEcho { output.write(Data(tokenizer.decode(primeTokens).utf8)) }
        // Unbuffered writes: each character appears as soon as it is sampled.
        for token in try TokenStream(model: kru, prime: primeTokens, options: options) {
            output.write(Data(String(tokenizer.vocabulary[token]).utf8))
        }
        output.write(Data("\n".utf8))
    }
}
