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
        let (values, shape) = try runModel(kru, onArrayAt: input)
        do {
            try NumPyArray(shape: shape, values: .float(values)).write(toPath: output)
        } catch {
            printError("\(output): \(error)")
            throw ExitCode(1)
        }
    }
}

/// Reads a .npy file, turning any failure into the one-line error every command promises.
func readArray(_ path: String) throws -> NumPyArray {
    do {
        return try NumPyArray.read(path: path)
    } catch {
        printError("\(path): \(error)")
        throw ExitCode(1)
    }
}

/// Runs `kru` on the array at `path` (token ids T or B×T, vectors T×D or B×T×D) and returns the outputs with
/// their shape (B×T×K, T×K, B×K or K), as `kru run` writes them.
func runModel(_ kru: KRUModel, onArrayAt path: String) throws -> (values: [Float], shape: [Int]) {
    let array = try readArray(path)
    let isTokenModel = kru.description.vocabulary != nil
    let sequenceRank = isTokenModel ? 1 : 2
    guard array.shape.count == sequenceRank || array.shape.count == sequenceRank + 1 else {
        printError("\(path) has shape \(array.shape); this model takes \(isTokenModel ? "T or B×T token ids" : "T×D or B×T×D vectors")")
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
            printError("\(path) holds \(array.dtype) values; this model takes \(isTokenModel ? "integer token ids" : "floating-point vectors")")
            throw ExitCode(1)
        }
    } catch let error as ModelInputError {
        printError("\(path): \(error)")
        throw ExitCode(1)
    }
    let stepsShape = kru.description.outputSteps == .every ? [steps] : []
    return (values, (batched ? [batch] : []) + stepsShape + [kru.description.outputWidth])
}
