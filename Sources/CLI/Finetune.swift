import ArgumentParser
import CLAPACK
import Foundation
import KRUFormat
import KRUInference
import KRUTrain

struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue training a model (e.g. one `kru convert` factorised) to win back what conversion lost.",
        discussion: """
            Every parameter trains — Kronecker factors, input and readout weights, biases — and the model keeps its \
            structure. A character model (tokens in, a categorical output every step) trains on --data text with the \
            model's own vocabulary (characters outside it are an error); a vector model with a categorical output \
            at the last step trains as --task classify does, and a vector model with Bernoulli outputs every step as --task \
            music does, on a directory of .npy arrays. A copy-memory or adding model (kru.train.task copy or adding) \
            trains on fresh sequences of its task, at its own T or at the --delay or --length given — a curriculum: \
            train at a short T, then fine-tune at a longer one. The written model \
            keeps the original's general.* metadata and kru.convert.* provenance and adds kru.finetune.* records.
            Example: kru finetune converted.kru --data data/kjv/train.txt --valid data/kjv/valid.txt --steps 2000 \
            --lr 5e-4 --lambda 0 --out finetuned.kru
            """
    )

    @Argument(help: "The model to start from.") var model: String
    @Option(help: "Copy-memory models: the delay T to train at (default: the model's kru.train.delay).") var delay: Int?
    @Option(help: "Adding-problem models: the sequence length T to train at (default: the model's kru.train.length).")
    var length: Int?
    @OptionGroup var training: TrainingOptions

    func validate() throws {
        if let delay, delay < 1 { throw usage("--delay must be at least 1") }
        if let length, length < 2 { throw usage("--length must be at least 2") }
    }

    func run() throws {
        openblas_set_num_threads(1)  // the trainer's own workers do the parallel work
        let file: KRUFile
        let network: KRUNetwork
        do {
            file = try KRUFile(path: model)
            network = try KRUNetwork(file: file)
        } catch {
            throw usage("\(model): \(error)")
        }
        let architecture = network.architecture
        let job: any TrainingJob
        if let synthetic = try syntheticJob(file, architecture) {
            job = synthetic
        } else {
            job = try dataJob(architecture)
        }
        // Keep who made the model and how it was converted; the training record below is the fine-tuning's.
        let kept = file.metadata.filter { entry in
            (entry.key.hasPrefix("general.") && entry.key != "general.creation_tool") || entry.key.hasPrefix("kru.convert.")
        }
        let settings: [KRUMetadataEntry] = [.init("kru.finetune.source", .string((model as NSString).lastPathComponent))]
        try TrainingDriver(options: training, job: job, tool: "kru finetune", settings: settings)
            .run(network: network, random: KRURandom(seed: training.seed), metadata: kept)
    }

    /// The job for a model `kru train --task copy|adding` wrote (its kru.train.task says so), or nil for any other.
    private func syntheticJob(_ file: KRUFile, _ architecture: KRUArchitecture) throws -> SyntheticJob? {
        guard case .string(let task)? = file.metadata("kru.train.task"), task == "copy" || task == "adding" else {
            if delay != nil || length != nil { throw usage("--delay and --length are for copy-memory and adding models; \(model) is neither") }
            return nil
        }
        if training.data != nil { throw usage("\(model) is a \(task) model: it trains on generated sequences, not --data") }
        let isCopy = task == "copy"
        if isCopy ? length != nil : delay != nil { throw usage("\(model) is a \(task) model: give \(isCopy ? "--delay" : "--length"), not \(isCopy ? "--length" : "--delay")") }
        let (key, flag, given, minimum) = isCopy ? ("kru.train.delay", "--delay", delay, 1) : ("kru.train.length", "--length", length, 2)
        guard let t = given ?? recordedLength(file, key, minimum: minimum) else {
            throw usage("\(model): \(key) is missing or out of range (\(minimum)…\(Self.longestRecordedLength)); give \(flag)")
        }
        let kind: SyntheticJob.Kind = isCopy ? .copy(CopyMemoryTask(delay: t)) : .adding(AddingTask(length: t))
        guard (try? kind.architecture(layers: architecture.layers)) == architecture else {
            throw usage("\(model): its inputs and outputs are not those of the \(task) task its kru.train.task names")
        }
        return SyntheticJob(kind: kind, batchSize: training.batch, seed: training.seed, threads: training.threads)
    }

    /// The longest T taken from a file: a damaged or hostile value must not size the batches.
    private static let longestRecordedLength = 100_000

    /// The T a synthetic model recorded under `key`, if it is an int in `minimum…longestRecordedLength`.
    private func recordedLength(_ file: KRUFile, _ key: String, minimum: Int) -> Int? {
        guard case .int(let value)? = file.metadata(key), value >= minimum, value <= Self.longestRecordedLength else { return nil }
        return Int(value)
    }

    /// The job for a model that trains on --data: a character model, a sequence classifier or a piano-roll model.
    private func dataJob(_ architecture: KRUArchitecture) throws -> any TrainingJob {
        guard training.data != nil else { throw usage("kru finetune needs --data for \(model)") }
        switch (architecture.vocabulary, architecture.output.kind, architecture.output.steps) {
        case (let vocabulary?, .categorical, .every):
            return try CharacterJob.load(training, vocabulary: CharacterTask(vocabulary: vocabulary))
        case (nil, .categorical, .last):
            return try ExampleJob.classification(training)
        case (nil, .bernoulli, .every):
            return try ExampleJob.music(training)
        default:
            throw usage("\(model): kru finetune trains character models, sequence classifiers, piano-roll models and copy/adding models; this model is none of them")
        }
    }
}
