import ArgumentParser
import Foundation
import KRUInference
import KRUTrain

/// The options every training command shares (`kru train`, `kru finetune`): the optimisation, the schedule, the
/// data, validation, checkpoints and the output. They only fill in `TrainingSettings` and `TrainingRunOptions`;
/// KRUTrain checks them and runs.
struct TrainingOptions: ParsableArguments {
    @Option(help: "charlm: the training text (UTF-8); classify, music: the data directory (train-inputs.npy, …).",
            completion: .file())
    var data: String?
    @Option(help: "charlm: the validation text (default: the last 10 % of --data).", completion: .file())
    var valid: String?
    @Option(help: "charlm: truncated BPTT window in characters.") var bptt: Count = 100
    @Option(help: "Parameter updates (with --resume: more than recorded continues the run).") var steps: Count = 1000
    @Option(help: "Sequences (streams for charlm) per batch.") var batch: Count = 16
    @Option(help: "The optimiser.") var optimizer: TrainingSettings.Optimizer = .adam
    @Option(help: "Peak learning rate.") var lr = 2e-3
    @Option(help: ArgumentHelp("Learning-rate schedule after the warm-up: constant, cosine (to 5 % of --lr at the "
                               + "last step) or step (×0.5 every --decay-every updates)."))
    var schedule: TrainingSettings.Schedule = .constant
    @Option(help: "Updates of linear learning-rate warm-up.") var warmup = 0
    @Option(help: "step schedule: halve the rate every this many updates.") var decayEvery = 1000
    @Option(help: ArgumentHelp("The recurrent matrices' learning rate as a fraction of --lr (long sequences need "
                               + "them to move slowly)."))
    var recurrentLrScale = 1.0
    @Option(help: ArgumentHelp("Decoupled weight decay (AdamW): weight matrices shrink by lr × this each update; "
                               + "biases and Kronecker factors do not (0 = off)."))
    var weightDecay = 0.0
    @Option(help: "Strength λ of the soft unitary penalty on Kronecker factors (0 = off).") var lambda = 0.01
    @Option(help: "Clip the gradient to this norm (0 = off).") var clip = 1.0
    @Option(help: "Inverted dropout between layers and before the readout (0 = off).") var dropout = 0.0
    @Option(help: "Seed of the initialisation, the data and dropout.") var seed: UInt64 = 1
    @Option(help: "Worker threads (results depend on it).") var threads = 2
    @Option(help: "The arithmetic: single is fast, double the reference.") var precision: TrainingPrecision = .single
    @Option(help: "Validate every this many steps.") var validateEvery = 50
    @Option(name: [.short, .customLong("output")], help: "The .kru model to write (atomically; required).",
            completion: .file(extensions: ["kru"]))
    var output: String?
    /// The spelling before every command wrote `-o/--output`: the model cards' commands still use it.
    @Option(name: .customLong("out"), help: .hidden) var legacyOutput: String?
    @Option(help: "Checkpoint file (default: the output with .checkpoint appended).", completion: .file())
    var checkpoint: String?
    @Option(help: "Write a checkpoint every this many steps (default: --validate-every; 0 = never).")
    var checkpointEvery: Int?
    @Flag(help: "Continue from the checkpoint; the result equals an uninterrupted run's.") var resume = false
    @Flag(help: "Early stopping: write the parameters of the best validation instead of the last ones.")
    var keepBest = false
    @Option(help: "Stop (with a checkpoint) after this many updates in this run; --resume continues.")
    var stopAfter: Int?
    @Option(help: ArgumentHelp("Append one JSON line per validation to this file (step, learning rate, loss, "
                               + "validation, seconds): a record of long runs."), completion: .file())
    var log: String?
    @Flag(help: "Print the summary as JSON.") var json = false

    /// The model file to write: `-o/--output`, or the hidden `--out`.
    var out: String { output ?? legacyOutput! }

    func validate() throws {
        switch (output, legacyOutput) {
        case (nil, nil): throw ValidationError("missing -o/--output, the .kru model to write")
        case (_?, _?): throw ValidationError("give -o/--output once (--out is its old spelling)")
        default: break
        }
    }

    /// The settings these options give a run of `task`.
    func settings(task: TrainingSettings.Task?) -> TrainingSettings {
        var settings = TrainingSettings(task: task)
        settings.steps = steps.value
        settings.batch = batch.value
        settings.seed = seed
        settings.threads = threads
        settings.optimizer = optimizer
        settings.learningRate = lr
        settings.schedule = schedule
        settings.warmup = warmup
        settings.decayEvery = decayEvery
        settings.recurrentLearningRateScale = recurrentLrScale
        settings.weightDecay = weightDecay
        settings.lambda = lambda
        settings.clip = clip
        settings.validateEvery = validateEvery
        settings.keepBest = keepBest
        settings.precision = precision
        settings.dropout = dropout
        return settings
    }

    var runOptions: TrainingRunOptions {
        var options = TrainingRunOptions(modelPath: out, checkpointPath: checkpoint)
        options.checkpointEvery = checkpointEvery
        options.resume = resume
        options.stopAfter = stopAfter
        return options
    }
}

/// A count given on the command line: decimal digits, or a power written 1e9 or 2^62 (sizes big enough to be
/// refused by what they would need in memory rather than by their spelling). Larger than Int saturates.
struct Count: ExpressibleByArgument, ExpressibleByIntegerLiteral {
    let value: Int

    init(integerLiteral value: Int) { self.value = value }

    init?(argument: String) {
        if let exact = Int(argument) {
            value = exact
            return
        }
        let parts = argument.split(separator: "^", omittingEmptySubsequences: false)
        let number: Double?
        if parts.count == 2, let base = Int(parts[0]), let exponent = Int(parts[1]), base >= 0, exponent >= 0 {
            number = pow(Double(base), Double(exponent))
        } else if argument.lowercased().contains("e"), let scientific = Double(argument) {
            number = scientific
        } else {
            number = nil
        }
        guard let number, number.isFinite || number > 0, number == number.rounded() else { return nil }
        value = number >= 9.2e18 ? Int.max : number <= -9.2e18 ? Int.min : Int(number)
    }

    var defaultValueDescription: String { "\(value)" }
}

extension TrainingPrecision: ExpressibleByArgument {}
extension ModelDescription.Cell: ExpressibleByArgument {}
extension ModelDescription.Activation: ExpressibleByArgument {}
extension TrainingSettings.Optimizer: ExpressibleByArgument {}
extension TrainingSettings.Schedule: ExpressibleByArgument {}
extension TrainingSettings.Model.Initialization: ExpressibleByArgument {}
