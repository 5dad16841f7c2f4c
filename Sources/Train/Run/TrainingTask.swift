import Foundation
import KRUInference

/// One task as a training run drives it: how an update draws its data, and how the model is validated.
public protocol TrainingTask {
    /// The unit of the validation metric.
    var unit: String { get }
    /// The unit of the training loss.
    var lossUnit: String { get }
    /// Whether a larger validation metric is better (accuracy) rather than a smaller one (losses).
    var higherIsBetter: Bool { get }
    /// What the progress counts besides steps (e.g. "chars"), if anything.
    var itemUnit: String? { get }
    /// The memoryless baseline of the validation metric, if the task has one.
    var baseline: Double? { get }
    /// One update: draws the data from `progress` (its generator, position and carried state), trains, advances
    /// `progress` and returns the training loss in ``lossUnit``.
    func update(_ trainer: KRUTrainer, _ progress: inout TrainingProgress) -> Double
    /// The validation metric of `network`.
    func validate(_ network: KRUNetwork) -> Double
}

extension TrainingTask {
    public var lossUnit: String { unit }
    public var higherIsBetter: Bool { false }
}

/// How a task's evaluation passes run: the run's threads and precision.
struct EvaluationSettings: Sendable {
    let threads: Int
    let precision: TrainingPrecision
}

/// Copy memory (bits per step) or the adding problem (mean squared error): fresh batches every step, a fixed
/// validation batch of 64 sequences drawn from seed + 1.
struct SyntheticTraining: TrainingTask {
    enum Kind: Sendable {
        case copy(CopyMemoryTask), adding(AddingTask)

        /// The task's model around `layers`: its input and output are fixed by the task.
        func architecture(layers: [LayerArchitecture]) throws -> KRUArchitecture {
            switch self {
            case .copy(let task): try task.architecture(layers: layers)
            case .adding(let task): try task.architecture(layers: layers)
            }
        }

        /// Steps per sequence.
        var length: Int {
            switch self {
            case .copy(let task): task.delay + 2 * CopyMemoryTask.recallCount
            case .adding(let task): task.length
            }
        }
    }

    static let validationSequences = 64

    let kind: Kind
    let batchSize: Int
    let evaluation: EvaluationSettings
    private let validation: SequenceBatch

    init(kind: Kind, batchSize: Int, seed: UInt64, evaluation: EvaluationSettings) {
        self.kind = kind
        self.batchSize = batchSize
        self.evaluation = evaluation
        var held = KRURandom(seed: seed &+ 1)
        validation = switch kind {
        case .copy(let task): task.batch(size: Self.validationSequences, random: &held)
        case .adding(let task): task.batch(size: Self.validationSequences, random: &held)
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

    func update(_ trainer: KRUTrainer, _ progress: inout TrainingProgress) -> Double {
        let batch = switch kind {
        case .copy(let task): task.batch(size: batchSize, random: &progress.random)
        case .adding(let task): task.batch(size: batchSize, random: &progress.random)
        }
        progress.items += batchSize
        return trainer.train(on: batch).loss * scale
    }

    func validate(_ network: KRUNetwork) -> Double {
        network.loss(on: validation, threads: evaluation.threads, precision: evaluation.precision) * scale
    }
}

/// Character language modelling: the text cut into `streams` parallel streams, trained in chunks of `bptt`
/// characters with the state carried from chunk to chunk (truncated BPTT); validation in bits per character. With a
/// teacher, the loss trained on is the distillation loss; the reported loss and the validation stay the data's
/// cross-entropy.
struct CharacterTraining: TrainingTask {
    let tokens: [Int]
    let validTokens: [Int]
    let streams: Int
    let bptt: Int
    let evaluation: EvaluationSettings
    var teacher: DistillationTeacher?

    var unit: String { "bits/char" }
    var itemUnit: String? { "chars" }
    var baseline: Double? { nil }
    var streamLength: Int { CharacterTask.streamLength(tokenCount: tokens.count, streams: streams) }

    func update(_ trainer: KRUTrainer, _ progress: inout TrainingProgress) -> Double {
        let length = min(bptt, streamLength - progress.position)
        let chunk = CharacterTask.batch(tokens: tokens, streams: streams, start: progress.position, length: length)
        let soft = teacher?.softTargets(tokens: tokens, streams: streams, start: progress.position, length: length)
        let report = trainer.train(on: chunk, from: progress.state, teacher: soft)
        progress.lastDivergence = report.divergence.map { $0 / log(2.0) }
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
        CharacterTask.bitsPerCharacter(of: network, tokens: validTokens, streams: streams, chunk: bptt,
                                       threads: evaluation.threads, precision: evaluation.precision)
    }
}

/// A task of separate examples (sequence classification, music): every update trains on `batchSize` examples drawn
/// at random from the training split; validation runs over the whole validation split.
struct ExampleTraining: TrainingTask {
    let unit: String
    let lossUnit: String
    let higherIsBetter: Bool
    let itemUnit: String?
    let batchSize: Int
    /// Draws a training batch.
    let draw: @Sendable (Int, inout KRURandom) -> SequenceBatch
    /// The validation metric of a network.
    let measure: (KRUNetwork) -> Double

    var baseline: Double? { nil }

    func update(_ trainer: KRUTrainer, _ progress: inout TrainingProgress) -> Double {
        progress.items += batchSize
        return trainer.train(on: draw(batchSize, &progress.random)).loss
    }

    func validate(_ network: KRUNetwork) -> Double { measure(network) }
}
