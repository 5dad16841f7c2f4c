import ArgumentParser
import Foundation
import KRUConvert
import KRUFormat
import KRUInference

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a dense PyTorch character model to a .kru model with Kronecker-factored recurrences.",
        discussion: """
            Reads .pt/.pth/.ckpt (torch.save zip or legacy layout, Lightning), .safetensors or .npz without executing
            anything in them; recognises nn.Embedding + nn.RNN/LSTM/GRU + nn.Linear by names and shapes (or --map);
            replaces each recurrent gate block by its nearest Kronecker product. --factors none keeps the recurrences
            dense (a faithful copy of the PyTorch model).
            Examples: kru convert lstm.pt --factors 4x4x4 --vocab-text corpus.txt -o small.kru
                      kru convert lstm.pt --list
            """
    )

    @Argument(help: "The dense checkpoint.") var checkpoint: String
    @Option(help: "none, auto (two balanced factors), auto2 (2×2 chain), sizes like 4x4x4, or shapes like 2:3x3:2.")
    var factors = "auto"
    @Option(help: "Kronecker terms per recurrent block.") var rank = 1
    @Option(name: .shortAndLong, help: "The .kru file to write.") var output: String?
    @Option(help: "Vocabulary: a JSON array of one-character strings.") var vocab: String?
    @Option(help: "Vocabulary: the sorted distinct characters of this text (Python's sorted(set(text))).") var vocabText: String?
    @Option(help: "A JSON file naming the embedding, recurrent prefix and readout tensors.") var map: String?
    @Option(help: "nn.RNN's nonlinearity (its state dict does not record it): tanh or relu.") var nonlinearity = "tanh"
    @Option(help: "Random restarts of the alternating refinement (more than two factors).") var restarts = 0
    @Option(help: "Seed for the restarts.") var seed: UInt64 = 0
    @Option(help: "After converting, score the dense and the converted model on this text.") var eval: String?
    @Option(help: "general.name of the written model.") var name: String?
    @Option(help: "general.description of the written model.") var description: String?
    @Option(help: "general.license of the written model (an SPDX expression).") var license: String?
    @Option(help: "general.author of the written model.") var author: String?
    @Flag(help: "List the checkpoint's tensors and what they were recognised as; convert nothing.") var list = false
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        let read = try readCheckpoint()
        let tensorMap = try map.map { try TensorMap.read(path: $0) }
        let structure = try converting {
            try DenseRecurrentStructure(read, map: tensorMap, nonlinearity: nonlinearity == "relu" ? .rnnReLU : .rnnTanh)
        }
        if list { return printListing(read, structure) }
        let dense = try converting { try DenseRecurrentCheckpoint(read, structure: structure) }
        guard let output else { throw ValidationError("give -o OUT.kru (or --list)") }
        let vocabulary = try converting { try VocabularySource.resolve(jsonFile: vocab, textFile: vocabText, checkpoint: read) }
        var options = ConversionOptions()
        options.factorization.restarts = restarts
        options.factorization.seed = seed
        options.general = [("general.name", name), ("general.description", description), ("general.license", license),
                           ("general.author", author)].compactMap { key, value in value.map { KRUMetadataEntry(key, .string($0)) } }
        let progress = ProgressLine(total: 1000, unit: "‰")
        let specification = try converting { try FactorSpecification(parsing: factors) }
        let result = try converting {
            try Converter.convert(dense, vocabulary: vocabulary, factors: specification, rank: rank, options: options,
                                  source: (checkpoint as NSString).lastPathComponent) { progress.update(Int($0 * 1000)) }
        }
        progress.finish()
        try reportingFormatErrors(in: output) { try result.write(toPath: output) }
        let converted = try loadModel(output)
        var evaluation: ConversionEvaluation?
        if let eval {
            // The dense model run by the same engine, so both scores and the KL share one implementation.
            let reference = try converting {
                try Converter.convert(dense, vocabulary: vocabulary, factors: .none, source: checkpoint).model()
            }
            let tokens = try encode(readText(eval), with: converted.tokenizer!, skipUnknown: true)
            evaluation = ConversionEvaluation(dense: reference.score(tokens: tokens), converted: converted.score(tokens: tokens),
                                              comparison: converted.compare(with: reference, tokens: tokens))
        }
        let report = ConversionReport(output: output, result: result, denseParameters: dense.parameterCount,
                                      denseRecurrent: dense.recurrentParameterCount,
                                      convertedParameters: converted.parameterCount,
                                      convertedRecurrent: converted.recurrentParameterCount, evaluation: evaluation)
        print(json ? report.json() : report.text())
    }

    private func readCheckpoint() throws -> Checkpoint {
        do {
            return try Checkpoint.read(path: checkpoint)
        } catch {
            printError("\(checkpoint): \(error)")
            throw ExitCode(1)
        }
    }

    private func printListing(_ read: Checkpoint, _ dense: DenseRecurrentStructure) {
        print("\(checkpoint): \(read.format), \(read.tensors.count) tensors")
        if !read.strippedPrefixes.isEmpty { print("stripped prefixes: \(read.strippedPrefixes.joined(separator: ", "))") }
        for skipped in read.skippedEntries { print("skipped: \(skipped)") }
        formatTable([["tensor", "dtype", "shape"]] + read.tensors.map { [$0.name, "\($0.dtype)", "\($0.shape)"] }).forEach { print("  " + $0) }
        print("recognised: \(dense.cell.rawValue), \(dense.hiddenSizes.count) layer(s) of \(dense.hiddenSizes.map(String.init).joined(separator: ", ")) units")
        print("  embedding: \(dense.map.embedding ?? "none (one-hot input)")")
        print("  recurrent: \(dense.map.recurrentPrefix)weight_ih_l*, weight_hh_l*\(dense.hasBiases ? ", bias_ih_l*, bias_hh_l*" : " (no biases)")")
        print("  readout:   \(dense.map.readoutWeight)\(dense.map.readoutBias.map { ", " + $0 } ?? "")")
        if let stored = VocabularySource.checkpoint(read) { print("  vocabulary stored in the checkpoint: \(stored.count) characters") }
    }
}

/// Runs `body`, turning conversion errors into the one-line error every command promises.
func converting<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ConversionError {
        printError("\(error)")
        throw ExitCode(1)
    }
}
