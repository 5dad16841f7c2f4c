import ArgumentParser
import Foundation
import KRUConvert
import KRUInference

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on a NumPy array and write its raw outputs as a NumPy array.",
        discussion: "Token models take an integer array of token ids, T or B×T; vector models take a float array, T×D "
            + "or B×T×D. The output holds the head's per-step outputs (logits for categorical and Bernoulli heads), "
            + "T×K or B×T×K — or K / B×K for a model that outputs at the last step only — as float32. Every sequence "
            + "starts from the zero state; the B sequences run together as one batch."
    )

    @Argument(help: "The model: a .kru path, or a name in the models directory (kjv-lstm512).",
              completion: .file(extensions: ["kru"]))
    var model: String
    @OptionGroup var lookup: ModelsOption
    @Option(help: "Input .npy file.", completion: .file(extensions: ["npy"])) var input: String
    @Option(name: .shortAndLong, help: "Output .npy file (written atomically).", completion: .file(extensions: ["npy"]))
    var output: String

    func run() throws {
        let model = try lookup.path(of: model)
        try checkOutput(output, notOverwriting: [model, input])
        let kru = try loadModel(model)
        let outputs = try runModel(kru, onArrayAt: input)
        try reporting(output) {
            try NumPyArray(shape: outputs.shape, values: .float(outputs.values)).write(toPath: output)
        }
    }
}
