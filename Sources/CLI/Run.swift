import ArgumentParser
import Foundation
import KRUConvert
import KRUInference

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on a NumPy array and write its raw outputs as a NumPy array.",
        discussion: """
            Token models take an integer array of token ids, T or B×T; vector models take a float array, T×D or
            B×T×D. The output holds the head's per-step outputs (logits for categorical and Bernoulli heads),
            T×K or B×T×K — or K / B×K for a model that outputs at the last step only — as float32. Every
            sequence starts from the zero state; the B sequences run together as one batch.
            """
    )

    @Argument(help: "The .kru model.") var model: String
    @Option(help: "Input .npy file.") var input: String
    @Option(help: "Output .npy file (written atomically).") var output: String

    func run() throws {
        let kru = try loadModel(model)
        let array: NumPyArray
        do {
            array = try NumPyArray.read(path: input)
        } catch {
            printError("\(input): \(error)")
            throw ExitCode(1)
        }
        let isTokenModel = kru.description.vocabulary != nil
        let sequenceRank = isTokenModel ? 1 : 2
        guard array.shape.count == sequenceRank || array.shape.count == sequenceRank + 1 else {
            printError("\(input) has shape \(array.shape); this model takes \(isTokenModel ? "T or B×T token ids" : "T×D or B×T×D vectors")")
            throw ExitCode(1)
        }
        let batched = array.shape.count == sequenceRank + 1
        let batch = batched ? array.shape[0] : 1
        let steps = array.shape[batched ? 1 : 0]
        let values: [Float]
        do {
            switch (isTokenModel, array.values) {
            case (true, .integer(let ids)):
                values = try kru.outputs(tokens: ids.map { Int(clamping: $0) }, batch: batch, steps: steps)
            case (false, .float(let x)):
                values = try kru.outputs(vectors: x, batch: batch, steps: steps)
            case (false, .double(let x)):
                values = try kru.outputs(vectors: x.map { Float($0) }, batch: batch, steps: steps)
            default:
                printError("\(input) holds \(array.dtype) values; this model takes \(isTokenModel ? "integer token ids" : "floating-point vectors")")
                throw ExitCode(1)
            }
        } catch let error as ModelInputError {
            printError("\(input): \(error)")
            throw ExitCode(1)
        }
        let k = kru.description.outputWidth
        let stepsShape = kru.description.outputSteps == .every ? [steps] : []
        let shape = (batched ? [batch] : []) + stepsShape + [k]
        do {
            try NumPyArray(shape: shape, values: .float(values)).write(toPath: output)
        } catch {
            printError("\(output): \(error)")
            throw ExitCode(1)
        }
    }
}
