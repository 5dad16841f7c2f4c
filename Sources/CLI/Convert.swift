import ArgumentParser
import Foundation
import KRUConvert
import KRUFormat
import KRUInference

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a dense PyTorch language model to a .kru model with Kronecker-factored recurrences.",
        discussion: "Reads .pt/.pth/.ckpt (torch.save zip or legacy layout, Lightning), .safetensors, .npy or .npz "
            + "— state dicts and whole saved models (torch.save(model), TorchScript) — without executing anything "
            + "in them; recognises nn.Embedding + nn.RNN/LSTM/GRU + nn.Linear by module types, names, biases and order "
            + "(or --map), a readout tied to the embedding by its storage; replaces each recurrent gate block by its "
            + "nearest Kronecker product. --factors none keeps the recurrences dense (a faithful copy of the PyTorch "
            + "model). --list shows what the checkpoint holds and what was recognised and why, decoding nothing. "
            + "Examples: 'kru convert lstm.pt --factors 4x4x4 --vocab-text corpus.txt -o small.kru', "
            + "'kru convert model.pt --vocab-corpus data/wikitext-2 --factors none -o words.kru' "
            + "(word_language_model), "
            + "'kru convert shakespeare.pt --vocab-preset printable -o char.kru' (char-rnn.pytorch), "
            + "'kru convert lstm.pt --list'."
    )

    /// nn.RNN's nonlinearity, which its state dict does not record (a pickled module does).
    enum Nonlinearity: String, ExpressibleByArgument, CaseIterable {
        case tanh, relu
        var cell: ModelDescription.Cell { self == .relu ? .rnnReLU : .rnnTanh }
    }

    @Argument(help: "The dense checkpoint.", completion: .file()) var checkpoint: String
    @Option(help: "none, auto (two balanced factors), auto2 (2×2 chain), sizes like 4x4x4, or shapes like 2:3x3:2.")
    var factors = "auto"
    @Option(help: "Kronecker terms per recurrent block (1–64).") var rank = 1
    @Option(name: .shortAndLong, help: "The .kru file to write (atomically).", completion: .file(extensions: ["kru"]))
    var output: String?
    @OptionGroup var vocabulary: VocabularyOptions
    @Option(help: "A JSON file naming the embedding, recurrent prefix and readout tensors.",
            completion: .file(extensions: ["json"]))
    var map: String?
    @Option(help: ArgumentHelp("nn.RNN's nonlinearity when the checkpoint does not record it (a state dict; "
                               + "default tanh). A whole saved model records it, and a different value is an error."))
    var nonlinearity: Nonlinearity?
    @Option(help: "Random restarts of the alternating refinement (more than two factors; 0–10000).") var restarts = 0
    @Option(help: "Seed for the restarts.") var seed: UInt64 = 0
    @Option(help: "After converting, score the dense and the converted model on this text.", completion: .file())
    var eval: String?
    @Option(help: "general.name of the written model.") var name: String?
    @Option(help: "general.description of the written model.") var description: String?
    @Option(help: "general.license of the written model (an SPDX expression).") var license: String?
    @Option(help: "general.author of the written model.") var author: String?
    @Flag(help: "List the checkpoint's tensors and what they were recognised as; convert nothing.") var list = false
    @Flag(help: "Print the report (or the listing) as JSON.") var json = false

    func validate() throws {
        if list {
            guard output == nil, eval == nil else {
                throw ValidationError("--list converts nothing: leave out -o and --eval")
            }
        } else {
            guard output != nil else { throw ValidationError("give -o OUT.kru (or --list)") }
        }
        guard (1...64).contains(rank) else { throw ValidationError("--rank must be between 1 and 64, got \(rank)") }
        guard (0...10_000).contains(restarts) else {
            throw ValidationError("--restarts must be between 0 and 10000, got \(restarts)")
        }
        do {
            _ = try FactorSpecification(parsing: factors)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        if let output { try checkOutput(output, notOverwriting: [checkpoint, map, eval] + vocabulary.inputs) }
        try requireRegularFile(checkpoint)
        if let map { try requireExisting(map) }
        let read = try reporting(checkpoint) { try Checkpoint.read(path: checkpoint) }
        let tensorMap = try map.map { path in try reporting { try TensorMap.read(path: path) } }
        if list {
            // The listing is printed whether or not the model is recognised — it is how a user finds out why not —
            // and a model that is not recognised still ends the command with its error (status 65).
            let recognised = Result {
                try DenseRecurrentStructure(read, map: tensorMap, nonlinearity: nonlinearity?.cell)
            }
            let listing = ConversionListing(path: checkpoint, checkpoint: read, recognised: recognised)
            print(json ? listing.json() : listing.text())
            if case .failure(let error) = recognised { throw CLIError(error, path: checkpoint) }
            return
        }
        let structure = try reporting(checkpoint) {
            try DenseRecurrentStructure(read, map: tensorMap, nonlinearity: nonlinearity?.cell)
        }
        guard let output else { return }
        let dense = try reporting(checkpoint) { try DenseRecurrentCheckpoint(read, structure: structure) }
        let vocabulary = try self.vocabulary.resolve(checkpoint: read, path: checkpoint)
        var options = ConversionOptions()
        options.factorization.restarts = restarts
        options.factorization.seed = seed
        let general = [("general.name", name), ("general.description", description), ("general.license", license),
                       ("general.author", author)]
        options.general = general.compactMap { key, value in value.map { KRUMetadataEntry(key, .string($0)) } }
        let evalTokens = try eval.map { path in try evaluationTokens(path, vocabulary: vocabulary) }
        let progress = ProgressLine(total: 1000, unit: "‰")
        let specification = try FactorSpecification(parsing: factors)  // validated in validate()
        let result = try reporting(checkpoint) {
            try Converter.convert(dense, vocabulary: vocabulary, factors: specification, rank: rank, options: options,
                                  source: (checkpoint as NSString).lastPathComponent) {
                progress.update(Int($0 * 1000))
            }
        }
        progress.finish()
        try reporting(output) { try result.write(toPath: output) }
        let converted = try loadModel(output)
        var evaluation: ConversionEvaluation?
        if let evalTokens {
            // The dense model run by the same engine, so both scores and the KL share one implementation.
            let reference = try reporting(checkpoint) {
                try Converter.convert(dense, vocabulary: vocabulary, factors: .none, source: checkpoint).model()
            }
            evaluation = ConversionEvaluation(dense: try reference.score(tokens: evalTokens),
                                              converted: try converted.score(tokens: evalTokens),
                                              comparison: try converted.compare(with: reference, tokens: evalTokens))
        }
        let report = ConversionReport(output: output, result: result, denseParameters: dense.parameterCount,
                                      denseRecurrent: dense.recurrentParameterCount,
                                      convertedParameters: converted.parameterCount,
                                      convertedRecurrent: converted.recurrentParameterCount, evaluation: evaluation)
        print(json ? report.json() : report.text())
    }

    /// The --eval text as tokens (tokens outside the vocabulary dropped); at least two, or nothing is predicted.
    private func evaluationTokens(_ path: String, vocabulary: Vocabulary) throws -> [Int] {
        let tokens = try encode(readText(path), with: Tokenizer(vocabulary: vocabulary), skipUnknown: true)
        guard tokens.count >= 2 else {
            throw CLIError(.dataError, "\(path) has \(tokens.count) \(vocabulary.unitName)(s) in the model's "
                               + "vocabulary; --eval needs at least 2")
        }
        return tokens
    }
}
