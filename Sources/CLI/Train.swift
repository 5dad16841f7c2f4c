import ArgumentParser
import CLAPACK
import Foundation
import KRUConvert
import KRUFormat
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
            Cells: kru (complex, needs --factors), rnn_tanh, rnn_relu, lstm, gru (dense recurrence with --hidden, \
            or Kronecker-factored with --factors, --rank terms per gate block).
            Optimisation: Adam or RMSprop, clipping, the soft unitary penalty λ·Σ‖WᴴW − I‖² on every Kronecker factor, \
            a learning-rate warm-up and schedule. Checkpoints every --checkpoint-every steps; --resume continues \
            with the same result as an uninterrupted run. Results depend only on the command (including --threads).
            Example: kru train --task copy --delay 100 --factors 2x2x2x2x2x2x2 --steps 1500 --out copy.kru
            """
    )

    enum Task: String, ExpressibleByArgument, CaseIterable { case copy, adding, charlm, classify, music }

    @Option(help: "copy, adding, charlm, classify or music.") var task: Task
    @Option(help: "Copy: the delay T.") var delay = 100
    @Option(help: "Adding: the sequence length T.") var length = 100
    @Option(help: "charlm: embedding width (default: one-hot input).") var embedding: Int?
    @Option(help: "kru, rnn_tanh, rnn_relu, lstm or gru.") var cell = "kru"
    @Option(help: "Hidden size N (for Kronecker recurrences the product of the factor sizes).") var hidden: Int?
    @Option(help: "Square Kronecker factor sizes, e.g. 2x2x2 for three 2×2 factors; none (real cells): dense.") var factors: String?
    @Option(help: "Kronecker terms summed per recurrent block.") var rank = 1
    @Option(help: "kru cells: modrelu, split_relu or split_tanh.") var activation = "modrelu"
    enum Initialization: String, ExpressibleByArgument, CaseIterable { case random, identity }
    @Option(help: "Kronecker factors start Haar-random unitary/orthogonal (random) or as the identity (identity).")
    var initialization: Initialization = .random
    @OptionGroup var training: TrainingOptions

    func validate() throws {
        if task == .copy, delay < 1 { throw usage("--delay must be at least 1") }
        if task == .adding, length < 2 { throw usage("--length must be at least 2") }
        if [.charlm, .classify, .music].contains(task), training.data == nil { throw usage("--task \(task.rawValue) needs --data") }
        if let embedding, embedding < 1 { throw usage("--embedding must be at least 1") }
        guard (1...64).contains(rank) else { throw usage("--rank must be in 1…64") }
    }

    /// The layer --cell, --hidden, --factors, --rank and --activation describe.
    func layer() throws -> LayerArchitecture {
        guard let cell = ModelDescription.Cell(rawValue: cell) else {
            throw usage("--cell takes kru, rnn_tanh, rnn_relu, lstm or gru, got \(cell)")
        }
        var sizes: [Int]?
        if let factors, factors != "none" {
            let parsed = factors.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            guard !parsed.isEmpty, parsed.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw usage("--factors takes sizes like 2x2x2 (square factors) or none, got \(factors)")
            }
            sizes = parsed.map { $0! }
            let product = sizes!.reduce(1, *)
            if let hidden, hidden != product {
                throw usage("--hidden \(hidden) is not the product of the factor sizes \(factors) (\(product))")
            }
        }
        if cell == .kru {
            guard let sizes else { throw usage("a kru cell needs --factors") }
            guard let activation = ModelDescription.Activation(rawValue: activation) else {
                throw usage("--activation takes modrelu, split_relu or split_tanh, got \(activation)")
            }
            return LayerArchitecture(squareFactors: sizes, activation: activation, rank: rank)
        }
        guard let n = hidden ?? sizes?.reduce(1, *), n >= 1 else { throw usage("a dense \(cell.rawValue) cell needs --hidden") }
        let recurrence: LayerArchitecture.Recurrence = sizes.map {
            .kronecker(factorShapes: $0.map(KroneckerFactorShape.init(square:)), rank: rank)
        } ?? .dense
        return LayerArchitecture(cell: cell, hiddenSize: n, recurrence: recurrence)
    }

    /// The architecture flags, recorded with the run (a checkpoint must match them).
    func settings(_ layer: LayerArchitecture) -> [KRUMetadataEntry] {
        var entries: [KRUMetadataEntry] = [
            .init("kru.train.cell", .string(layer.cell.rawValue)),
            .init("kru.train.hidden", .int(Int64(layer.hiddenSize))),
            .init("kru.train.factors", .string(factors ?? "none")),
            .init("kru.train.rank", .int(Int64(rank))),
        ]
        if let activation = layer.activation { entries.append(.init("kru.train.activation", .string(activation.rawValue))) }
        if let embedding { entries.append(.init("kru.train.embedding", .int(Int64(embedding)))) }
        if initialization != .random { entries.append(.init("kru.train.initialization", .string(initialization.rawValue))) }
        return entries
    }

    func run() throws {
        let layer = try layer()
        openblas_set_num_threads(1)  // the trainer's own workers do the parallel work
        let (job, architecture) = try makeJob(layer)
        var random = KRURandom(seed: training.seed)
        let network: KRUNetwork
        do {
            let start = KRUInitialization(factors: initialization == .random ? .randomUnitary : .identity)
            network = KRUNetwork(architecture: try architecture(), initialization: start, random: &random)
        } catch {
            throw usage("\(error)")
        }
        try TrainingDriver(options: training, job: job, tool: "kru train", settings: settings(layer))
            .run(network: network, random: random)
    }

    /// The task's job and a closure building the model's architecture.
    private func makeJob(_ layer: LayerArchitecture) throws -> (any TrainingJob, () throws -> KRUArchitecture) {
        switch task {
        case .copy, .adding:
            let kind: SyntheticJob.Kind = task == .copy ? .copy(CopyMemoryTask(delay: delay)) : .adding(AddingTask(length: length))
            return (SyntheticJob(kind: kind, batchSize: training.batch, seed: training.seed, threads: training.threads),
                    { try kind.architecture(layers: [layer]) })
        case .charlm:
            let (task, job) = try CharacterJob.load(training)
            return (job, { try task.architecture(layers: [layer], embeddingWidth: embedding) })
        case .classify:
            let job = try ExampleJob.classification(training)
            return (job, { try job.architecture([layer]) })
        case .music:
            let job = try ExampleJob.music(training)
            return (job, { try job.architecture([layer]) })
        }
    }
}
