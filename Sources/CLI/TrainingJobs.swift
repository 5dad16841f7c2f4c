import Foundation
import KRUFormat
import KRUInference
import KRUTrain

/// One task as the training commands run it: how an update draws its data, and how the model is validated.
protocol TrainingJob {
    /// The unit of the validation metric.
    var unit: String { get }
    /// The unit of the training loss.
    var lossUnit: String { get }
    /// Whether a larger validation metric is better (accuracy) rather than a smaller one (losses).
    var higherIsBetter: Bool { get }
    /// What the progress line counts besides steps (e.g. "chars"), if anything.
    var itemUnit: String? { get }
    /// The memoryless baseline of the validation metric, if the task has one.
    var baseline: Double? { get }
    /// Task-specific `kru.train.*` settings.
    var metadata: [KRUMetadataEntry] { get }
    /// One update: draws the data from `progress` (its generator, position and carried state), trains, advances
    /// `progress` and returns the training loss in ``unit``.
    func update(_ trainer: KRUTrainer, _ progress: inout TrainingProgress) -> Double
    /// The validation metric of `network`.
    func validate(_ network: KRUNetwork) -> Double
}

extension TrainingJob {
    var lossUnit: String { unit }
    var higherIsBetter: Bool { false }
}

/// Copy memory (bits per step) or the adding problem (mean squared error): fresh batches every step, a fixed
/// validation batch of 64 sequences drawn from seed + 1.
struct SyntheticJob: TrainingJob {
    enum Kind { case copy(CopyMemoryTask), adding(AddingTask) }
    let kind: Kind
    let batchSize: Int
    let threads: Int
    private let validation: SequenceBatch

    init(kind: Kind, batchSize: Int, seed: UInt64, threads: Int) {
        self.kind = kind
        self.batchSize = batchSize
        self.threads = threads
        var held = KRURandom(seed: seed &+ 1)
        validation = switch kind {
        case .copy(let task): task.batch(size: 64, random: &held)
        case .adding(let task): task.batch(size: 64, random: &held)
        }
    }

    /// Copy memory is reported in bits (the literature's unit), adding as a mean squared error.
    private var scale: Double { if case .copy = kind { 1 / log(2.0) } else { 1 } }
    var unit: String { if case .copy = kind { "bits/step" } else { "mse" } }
    var itemUnit: String? { nil }
    var baseline: Double? {
        switch kind {
        case .copy(let task): task.baselineBits
        case .adding: AddingTask.baselineMeanSquaredError
        }
    }
    var metadata: [KRUMetadataEntry] {
        switch kind {
        case .copy(let task): [.init("kru.train.task", .string("copy")), .init("kru.train.delay", .int(Int64(task.delay)))]
        case .adding(let task): [.init("kru.train.task", .string("adding")), .init("kru.train.length", .int(Int64(task.length)))]
        }
    }

    func update(_ trainer: KRUTrainer, _ progress: inout TrainingProgress) -> Double {
        let batch = switch kind {
        case .copy(let task): task.batch(size: batchSize, random: &progress.random)
        case .adding(let task): task.batch(size: batchSize, random: &progress.random)
        }
        progress.items += batchSize
        return trainer.train(on: batch).loss * scale
    }

    func validate(_ network: KRUNetwork) -> Double { network.loss(on: validation, threads: threads) * scale }
}

extension SyntheticJob.Kind {
    /// The task's model around `layers`: its input and output are fixed by the task.
    func architecture(layers: [LayerArchitecture]) throws -> KRUArchitecture {
        switch self {
        case .copy(let task): try task.architecture(layers: layers)
        case .adding(let task): try task.architecture(layers: layers)
        }
    }
}

/// Character language modelling: the text cut into `batch` parallel streams, trained in chunks of `bptt`
/// characters with the state carried from chunk to chunk (truncated BPTT); validation bits per character.
struct CharacterJob: TrainingJob {
    let tokens: [Int]
    let validTokens: [Int]
    let streams: Int
    let bptt: Int
    let threads: Int
    let dataName: String
    let validName: String?

    var unit: String { "bits/char" }
    var itemUnit: String? { "chars" }
    var baseline: Double? { nil }
    var metadata: [KRUMetadataEntry] {
        var entries: [KRUMetadataEntry] = [.init("kru.train.task", .string("charlm")), .init("kru.train.bptt", .int(Int64(bptt))),
                                           .init("kru.train.data", .string(dataName))]
        if let validName { entries.append(.init("kru.train.valid", .string(validName))) }
        return entries
    }
    var streamLength: Int { CharacterTask.streamLength(tokenCount: tokens.count, streams: streams) }

    func update(_ trainer: KRUTrainer, _ progress: inout TrainingProgress) -> Double {
        let length = min(bptt, streamLength - progress.position)
        let chunk = CharacterTask.batch(tokens: tokens, streams: streams, start: progress.position, length: length)
        let report = trainer.train(on: chunk, from: progress.state)
        progress.items += length * streams
        progress.position += length
        if progress.position >= streamLength {  // a new epoch starts every stream from its beginning, from a zero state
            progress.position = 0
            progress.state = nil
        } else {
            progress.state = report.finalState
        }
        return report.loss / log(2.0)
    }

    func validate(_ network: KRUNetwork) -> Double {
        CharacterTask.bitsPerCharacter(of: network, tokens: validTokens, streams: streams, chunk: bptt, threads: threads)
    }
}

/// A task of separate examples (sequence classification, music): every update trains on `batchSize` examples drawn
/// at random from the training split; validation runs over the whole validation split.
struct ExampleJob: TrainingJob {
    let taskName: String
    let unit: String
    let lossUnit: String
    let higherIsBetter: Bool
    let itemUnit: String?
    let dataName: String
    let batchSize: Int
    /// Draws a training batch.
    let draw: @Sendable (Int, inout KRURandom) -> SequenceBatch
    /// The validation metric of a network.
    let measure: (KRUNetwork) -> Double
    /// The architecture of a model with the given layers, for the training data's shapes.
    let architecture: ([LayerArchitecture]) throws -> KRUArchitecture

    var baseline: Double? { nil }
    var metadata: [KRUMetadataEntry] {
        [.init("kru.train.task", .string(taskName)), .init("kru.train.data", .string(dataName))]
    }

    func update(_ trainer: KRUTrainer, _ progress: inout TrainingProgress) -> Double {
        progress.items += batchSize
        return trainer.train(on: draw(batchSize, &progress.random)).loss
    }

    func validate(_ network: KRUNetwork) -> Double { measure(network) }
}

extension CharacterJob {
    /// Reads --data (and --valid, or the last 10 % of --data) and encodes it with the training text's vocabulary.
    static func load(_ options: TrainingOptions) throws -> (CharacterTask, CharacterJob) {
        let path = options.data!
        let text = try readText(path)
        let task = CharacterTask(trainingText: text)
        return (task, try load(options, vocabulary: task, trainingText: text))
    }

    /// Reads the data of a run whose tokens are those of `task` (a fresh model's, or a model being fine-tuned).
    static func load(_ options: TrainingOptions, vocabulary task: CharacterTask, trainingText: String? = nil) throws -> CharacterJob {
        let path = options.data!
        var tokens = try encode(task, trainingText ?? readText(path), path)
        var validTokens: [Int]
        if let valid = options.valid {
            validTokens = try encode(task, try readText(valid), valid)
        } else {
            let tail = tokens.count / 10
            validTokens = Array(tokens[(tokens.count - tail)...])
            tokens.removeLast(tail)
        }
        guard CharacterTask.streamLength(tokenCount: tokens.count, streams: options.batch) >= 1 else {
            throw usage("\(path): \(tokens.count) training characters are too few for \(options.batch) streams")
        }
        guard validTokens.count >= 2 else {
            throw usage("the validation text needs at least 2 characters (give --valid or a longer --data)")
        }
        return CharacterJob(tokens: tokens, validTokens: validTokens, streams: options.batch, bptt: options.bptt,
                            threads: options.threads, dataName: (path as NSString).lastPathComponent,
                            validName: options.valid.map { ($0 as NSString).lastPathComponent })
    }

    private static func encode(_ task: CharacterTask, _ text: String, _ path: String) throws -> [Int] {
        switch task.encode(text) {
        case .success(let tokens): return tokens
        case .failure(let error): throw usage("\(path): \(error)")
        }
    }
}

extension ExampleJob {
    /// Sequence classification (pixel MNIST and friends): validation accuracy. Reads `{train,valid}-inputs.npy`
    /// (N × T × D floats) and `{train,valid}-targets.npy` (N integer classes) from the --data directory; the class
    /// count is one more than the largest training label.
    static func classification(_ options: TrainingOptions) throws -> ExampleJob {
        let directory = options.data!, threads = options.threads
        let training = try classificationSplit("train", in: directory, classCount: nil)
        let validation = try classificationSplit("valid", in: directory, classCount: training.classCount)
        return ExampleJob(taskName: "classify", unit: "accuracy", lossUnit: "nats", higherIsBetter: true, itemUnit: "sequences",
                          dataName: (directory as NSString).lastPathComponent, batchSize: options.batch,
                          draw: { training.randomBatch(size: $0, random: &$1) },
                          measure: { validation.evaluate($0, batchSize: 100, threads: threads).accuracy },
                          architecture: training.architecture(layers:))
    }

    /// Polyphonic music: whole pieces, padded and masked; validation NLL per frame. Reads `{train,valid}-rolls.npy`
    /// (frames × K, 0/1) and `{train,valid}-lengths.npy` (frames per piece), as `tools/data/chorales.py` writes them.
    static func music(_ options: TrainingOptions) throws -> ExampleJob {
        let directory = options.data!, threads = options.threads
        let training = try pianoRollSplit("train", in: directory), validation = try pianoRollSplit("valid", in: directory)
        return ExampleJob(taskName: "music", unit: "nats/frame", lossUnit: "nats/frame", higherIsBetter: false, itemUnit: "pieces",
                          dataName: (directory as NSString).lastPathComponent, batchSize: options.batch,
                          draw: { training.randomBatch(size: $0, random: &$1) },
                          measure: { validation.frameNegativeLogLikelihood(of: $0, batchSize: 64, threads: threads) },
                          architecture: training.architecture(layers:))
    }

    private static func classificationSplit(_ name: String, in directory: String, classCount: Int?) throws -> SequenceClassificationTask {
        let inputsPath = (directory as NSString).appendingPathComponent("\(name)-inputs.npy")
        let targetsPath = (directory as NSString).appendingPathComponent("\(name)-targets.npy")
        let inputs = try readArray(inputsPath), targets = try readArray(targetsPath)
        guard inputs.shape.count == 3, inputs.shape.allSatisfy({ $0 >= 1 }) else {
            throw usage("\(inputsPath) has shape \(inputs.shape); classification inputs are N × T × D")
        }
        guard targets.shape == [inputs.shape[0]], case .integer(let labels) = targets.values else {
            throw usage("\(targetsPath) must hold \(inputs.shape[0]) integer classes, has shape \(targets.shape)")
        }
        let values: [Float]
        switch inputs.values {
        case .float(let x): values = x
        case .double(let x): values = x.map { Float($0) }
        default: throw usage("\(inputsPath) holds \(inputs.dtype) values; inputs must be floating point")
        }
        let classes = classCount ?? Int(clamping: (labels.max() ?? 0) + 1)
        guard labels.allSatisfy({ $0 >= 0 && $0 < classes }), classes <= 1 << 20 else {
            throw usage("\(targetsPath): classes must lie in 0..<\(classes)")
        }
        return SequenceClassificationTask(inputs: values, labels: labels.map { Int($0) }, length: inputs.shape[1],
                                          width: inputs.shape[2], classCount: classes)
    }

    private static func pianoRollSplit(_ name: String, in directory: String) throws -> PianoRollTask {
        let rollsPath = (directory as NSString).appendingPathComponent("\(name)-rolls.npy")
        let lengthsPath = (directory as NSString).appendingPathComponent("\(name)-lengths.npy")
        let rolls = try readArray(rollsPath), lengths = try readArray(lengthsPath)
        guard rolls.shape.count == 2, rolls.shape[1] >= 1, case .integer(let values) = rolls.values,
              values.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw usage("\(rollsPath) must be a frames × keys array of 0/1 integers, has shape \(rolls.shape)")
        }
        guard lengths.shape.count == 1, case .integer(let counts) = lengths.values, counts.allSatisfy({ $0 >= 2 }),
              counts.reduce(0, +) == Int64(rolls.shape[0]) else {
            throw usage("\(lengthsPath) must give the frames (at least 2) of each piece, summing to \(rolls.shape[0])")
        }
        return PianoRollTask(rolls: values.map { UInt8($0) }, lengths: counts.map { Int($0) }, keys: rolls.shape[1])
    }
}
