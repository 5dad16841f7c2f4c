import ArgumentParser
import KRUInference
import KRUTrain

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model: a complex KRU or a real RNN/LSTM/GRU (dense or Kronecker) on a task.",
        discussion: """
            Tasks: copy (copy memory, --delay), adding (--length), charlm (character language model on --data, \
            validation bits/char on --valid or the last 10 % of --data), classify (sequence classification on a \
            directory of .npy arrays from tools/data: train-inputs.npy N×T×D, train-targets.npy N, valid-…; \
            validation accuracy), music (next-frame prediction on piano rolls: train-rolls.npy frames×K of 0/1 and \
            train-lengths.npy frames per piece, valid-…; validation NLL per frame).
            Cells: kru (complex; --factors, or --hidden N alone for 2×2 factors), rnn_tanh, rnn_relu, lstm, gru (dense \
            with --hidden, or Kronecker-factored with --factors, --rank terms per gate block). --layers stacks \
            identical layers; --dropout drops layer outputs between layers and before the readout.
            --factors: none, auto (two balanced factors, needs --hidden), auto2 (2×2 chain, needs --hidden), sizes \
            like 4x4x8, or shapes like 2:3x3:2.
            Optimisation: Adam or RMSprop, clipping, the soft unitary penalty λ·Σ‖WᴴW − I‖² on every Kronecker factor, \
            a learning-rate warm-up and schedule; single precision (default) or double. Checkpoints every \
            --checkpoint-every steps; --resume continues with the same result as an uninterrupted run, and with a \
            larger --steps extends it. Results depend only on the command (including --threads).
            Example: kru train --task copy --delay 100 --hidden 128 --steps 1500 -o copy.kru
            """
    )

    enum Task: String, ExpressibleByArgument, CaseIterable { case copy, adding, charlm, classify, music }

    @Option(help: "The task to train on.") var task: Task
    @Option(help: "Copy: the delay T.") var delay: Count = 100
    @Option(help: "Adding: the sequence length T.") var length: Count = 100
    @Option(help: "charlm: embedding width (default: one-hot input).") var embedding: Int?
    @Option(help: "The recurrent cell: complex KRU or a real RNN, LSTM or GRU.") var cell: ModelDescription.Cell = .kru
    @Option(help: "Hidden size N (with factors: their product).") var hidden: Count?
    @Option(help: ArgumentHelp("Kronecker factors: none, auto, auto2, sizes like 2x2x2, shapes like 2:3x3:2 (kru "
                               + "default: 2×2 from --hidden)."))
    var factors: String?
    @Option(help: "Kronecker terms summed per recurrent block.") var rank = 1
    @Option(help: "Recurrent layers stacked.") var layers = 1
    @Option(help: "kru cells: the nonlinearity of the complex state.")
    var activation: ModelDescription.Activation = .modReLU
    @Option(help: "Kronecker factors start Haar-random unitary/orthogonal (random) or as the identity (identity).")
    var initialization: TrainingSettings.Model.Initialization = .random
    @OptionGroup var training: TrainingOptions

    func run() throws {
        var model = TrainingSettings.Model(cell: cell, hidden: hidden?.value)
        if let factors {
            do { model.factors = try FactorSpecification(parsing: factors) } catch { throw usage("\(error)") }
        }
        model.rank = rank
        model.layers = layers
        model.activation = activation
        model.embedding = embedding
        model.initialization = initialization
        var settings = training.settings(task: try taskSettings())
        settings.model = model
        try runTraining({ () throws(TrainingRunError) in try TrainingPlan.train(settings) }, training, inputs: [])
    }

    private func taskSettings() throws -> TrainingSettings.Task {
        if [.charlm, .classify, .music].contains(task), training.data == nil {
            throw usage("--task \(task.rawValue) needs --data")
        }
        if task != .charlm, embedding != nil { throw usage("--embedding is for --task charlm") }
        return switch task {
        case .copy: .copy(delay: delay.value)
        case .adding: .adding(length: length.value)
        case .charlm: .charlm(data: training.data!, valid: training.valid, bptt: training.bptt.value)
        case .classify: .classify(data: training.data!)
        case .music: .music(data: training.data!)
        }
    }
}
