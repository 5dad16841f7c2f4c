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
