import Foundation
import KRUFormat
import KRUInference

/// Where a run writes and how it may be interrupted.
public struct TrainingRunOptions: Sendable {
    /// The `.kru` model to write.
    public var modelPath: String
    /// The checkpoint file (default: the model path with `.checkpoint` appended).
    public var checkpointPath: String
    /// Write a checkpoint every this many updates (nil: every validation; 0: never).
    public var checkpointEvery: Int?
    /// Continue from the checkpoint.
    public var resume = false
    /// Stop, with a checkpoint, after this many updates of this invocation.
    public var stopAfter: Int?

    public init(modelPath: String, checkpointPath: String? = nil) {
        self.modelPath = modelPath
        self.checkpointPath = checkpointPath ?? modelPath + ".checkpoint"
    }
}

/// What a run reports while it goes.
public enum TrainingEvent: Sendable {
    /// Something chosen on the user's behalf (default factors, an extended schedule).
    case note(String)
    /// After every update: the step, the total, the last training loss, the last validation and the items so far;
    /// when distilling, the update's KL divergence from the teacher (in the loss's unit).
    case update(step: Int, steps: Int, loss: Double, validation: Double?, items: Int, divergence: Double?)
    /// After every validation: the record of one line of a training log.
    case validation(TrainingLogRecord)
}

/// One validation of a run, as a training log records it.
public struct TrainingLogRecord: Sendable, Equatable {
    public let step: Int
    public let learningRate: Double
    public let loss: Double
    public let lossUnit: String
    public let validation: Double
    public let unit: String
    public let items: Int
    public let seconds: Double
}

/// How a run ended.
public enum TrainingOutcome: Sendable {
    /// All steps done and the model written.
    case finished(TrainingSummary)
    /// Stopped by ``TrainingRunOptions/stopAfter`` after `step` of `steps` updates, with a checkpoint to resume from.
    case stopped(step: Int, steps: Int, checkpoint: String)
}

/// What a finished run did.
public struct TrainingSummary: Sendable {
    public let steps: Int
    /// Training time in seconds (summed over resumed runs).
    public let seconds: Double
    public let parameterCount: Int
    public let finalLoss: Double
    public let lossUnit: String
    /// When distilling: the last update's KL divergence from the teacher's softened outputs, in ``lossUnit``.
    public let finalDivergence: Double?
    /// The last validation (NaN without one).
    public let validation: Double
    public let unit: String
    public let history: [Double]
    public let baseline: Double?
    public let items: Int
    public let itemUnit: String?
    public let bestStep: Int?
    public let modelPath: String
}

/// The whole training run of `kru train` and `kru finetune`: the learning-rate schedule, updates, validation,
/// checkpoints and resuming (also to more steps than recorded), keep-best, a stop on a non-finite loss, and
/// finally the model with its training record. Deterministic: the same plan and options write the same bytes,
/// and an interrupted run resumed from its checkpoint writes what the uninterrupted one would have.
public final class TrainingRun {
    public let plan: TrainingPlan
    public let options: TrainingRunOptions
    private var settings: TrainingSettings

    public init(plan: TrainingPlan, options: TrainingRunOptions) {
        self.plan = plan
        self.options = options
        settings = plan.settings
    }

    private var checkpointInterval: Int { options.checkpointEvery ?? settings.validateEvery }

    /// Trains, reporting to `observe`, and writes the model unless the run stops early.
    /// - Throws: ``TrainingRunError``: a checkpoint that does not fit this run, an unwritable output, a loss that
    ///   became non-finite (the last good checkpoint is kept).
    public func run(_ observe: (TrainingEvent) -> Void) throws(TrainingRunError) -> TrainingOutcome {
        guard (options.checkpointEvery ?? 0) >= 0, (options.stopAfter ?? 1) >= 1 else {
            throw .usage("--checkpoint-every must be at least 0 and --stop-after at least 1")
        }
        plan.notes.forEach { observe(.note($0)) }
        let trainer = makeTrainer(plan.network)
        var progress = TrainingProgress(random: plan.random)
        if options.resume { try restore(trainer, &progress, observe) }
        let schedule = learningRateSchedule
        let start = Date(), secondsBefore = progress.seconds, firstStep = progress.step + 1
        let task = plan.task
        for step in firstStep...settings.steps {
            trainer.optimizer.learningRate = schedule.rate(atStep: step)
            let loss = task.update(trainer, &progress)
            guard loss.isFinite else {
                let kept = FileManager.default.fileExists(atPath: options.checkpointPath)
                    ? "; the last good checkpoint \(options.checkpointPath) is kept" : ""
                throw TrainingRunError(
                    .diverged, "step \(step): the training loss became \(loss)\(kept) (try a smaller --lr or --clip)")
            }
            progress.lastLoss = loss
            progress.step = step
            progress.seconds = secondsBefore + Date().timeIntervalSince(start)
            let last = step == settings.steps, regular = step % settings.validateEvery == 0
            // The last step's checkpoint is written before an extra validation the longer run would not make, so
            // that a run extended from it equals the uninterrupted longer run.
            if last, !regular, checkpointInterval > 0 { try writeCheckpoint(trainer, progress) }
            if regular || last {
                let validation = task.validate(trainer.network)
                progress.history.append(validation)
                if settings.keepBest, isBest(validation, progress) {
                    progress.best = (step, validation, trainer.network.parameters)
                }
                observe(.validation(TrainingLogRecord(step: step, learningRate: trainer.optimizer.learningRate,
                                                      loss: loss,
                                                      lossUnit: task.lossUnit, validation: validation, unit: task.unit,
                                                      items: progress.items, seconds: progress.seconds)))
            }
            observe(.update(step: step, steps: settings.steps, loss: loss, validation: progress.history.last,
                            items: progress.items, divergence: progress.lastDivergence))
            if last {
                if regular, checkpointInterval > 0 { try writeCheckpoint(trainer, progress) }
                break
            }
            let stopping = options.stopAfter.map { step - firstStep + 1 >= $0 } ?? false
            if stopping || (checkpointInterval > 0 && step % checkpointInterval == 0) {
                try writeCheckpoint(trainer, progress)
            }
            if stopping { return .stopped(step: step, steps: settings.steps, checkpoint: options.checkpointPath) }
        }
        var final = trainer.network
        if let best = progress.best { final.parameters = best.parameters }
        try writeModel(final, progress)
        return .finished(TrainingSummary(
            steps: settings.steps, seconds: progress.seconds, parameterCount: final.parameterCount,
            finalLoss: progress.lastLoss, lossUnit: task.lossUnit, finalDivergence: progress.lastDivergence,
            validation: progress.history.last ?? .nan,
            unit: task.unit, history: progress.history, baseline: task.baseline, items: progress.items,
            itemUnit: task.itemUnit, bestStep: progress.best?.step, modelPath: options.modelPath))
    }

    private var learningRateSchedule: LearningRateSchedule {
        let decay: LearningRateSchedule.Decay = switch settings.schedule {
        case .constant: .constant
        case .cosine: .cosine(floor: 0.05)
        case .step: .step(every: settings.decayEvery, factor: 0.5)
        }
        return LearningRateSchedule(peak: settings.learningRate, decay: decay, warmup: settings.warmup,
                                    totalSteps: settings.steps)
    }

    private func makeTrainer(_ network: KRUNetwork) -> KRUTrainer {
        let optimizer: any Optimizer = switch settings.optimizer {
        case .adam: Adam(learningRate: settings.learningRate)
        case .rmsprop: RMSprop(learningRate: settings.learningRate)
        }
        return KRUTrainer(network: network, optimizer: optimizer, configuration: .init(
            unitaryPenalty: settings.lambda, clipNorm: settings.clip > 0 ? settings.clip : nil,
            threads: settings.threads, recurrentLearningRateScale: settings.recurrentLearningRateScale,
            weightDecay: settings.weightDecay,
            precision: settings.precision, dropout: settings.dropout, dropoutSeed: settings.seed))
    }

    /// Whether `validation` beats every earlier one (a NaN never does).
    private func isBest(_ validation: Double, _ progress: TrainingProgress) -> Bool {
        guard validation.isFinite else { return false }
        guard let best = progress.best else { return true }
        return plan.task.higherIsBetter ? validation > best.validation : validation < best.validation
    }

    // MARK: Checkpoints

    /// Continues from the checkpoint: every setting must match, except the number of steps, which may grow (or
    /// shrink down to the steps already done). With a schedule that depends on the total (cosine) the record keeps
    /// the earlier totals.
    private func restore(_ trainer: KRUTrainer, _ progress: inout TrainingProgress,
                         _ observe: (TrainingEvent) -> Void) throws(TrainingRunError) {
        let path = options.checkpointPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingRunError(.noInput, "--resume: there is no checkpoint \(path)")
        }
        let recorded: Int
        let checkpoint: TrainingCheckpoint
        do {
            let file = try KRUFile(path: path)
            guard case .int(let steps)? = file.metadata(TrainingRecordKey.steps), steps >= 1 else {
                throw TrainingCheckpointError("\(TrainingRecordKey.steps) is missing")
            }
            recorded = Int(steps)
            var earlier: [Int] = []
            if case .intArray(let values)? = file.metadata(TrainingRecordKey.earlierSteps) {
                earlier = values.map { Int($0) }
            }
            var expected = settings
            if recorded != settings.steps, settings.schedule == .cosine { expected.earlierSteps = earlier + [recorded] }
            else { expected.earlierSteps = earlier }
            settings = expected
            let comparable = expected.metadata.filter {
                $0.key != TrainingRecordKey.steps && $0.key != TrainingRecordKey.earlierSteps
            }
            if let data = settings.data, file.metadata(TrainingRecordKey.dataHash) != .string(data.hashText)
                || file.metadata(TrainingRecordKey.dataBytes) != .int(Int64(data.bytes)) {
                // An input inconsistent with another (the checkpoint): bad data, not a wrong command line.
                throw TrainingRunError(.data,
                    "\(path): the training data changed since this checkpoint was written (now \(data.bytes) bytes, "
                        + "\(data.hashText)); train from scratch or restore the data")
            }
            checkpoint = try TrainingCheckpoint(path: path, architecture: trainer.network.architecture,
                                                configuration: comparable)
        } catch let error as TrainingRunError {
            throw error
        } catch let error as TrainingCheckpointError {
            throw .usage("\(path): \(error)")
        } catch let error as KRUFormatError where error.code == .io {
            throw TrainingRunError(.io, "\(path): \(error)")
        } catch {
            throw .data("\(path): \(error)")
        }
        guard settings.steps > checkpoint.progress.step else {
            throw .usage(settings.steps == checkpoint.progress.step
                ? "\(path) has already finished all \(settings.steps) steps (give a larger --steps to continue)"
                : "\(path) has done \(checkpoint.progress.step) steps, more than --steps \(settings.steps)")
        }
        if recorded != settings.steps {
            let how = settings.schedule == .cosine
                ? "the cosine schedule continues over the new total (recorded in \(TrainingRecordKey.earlierSteps))"
                : "the \(settings.schedule.rawValue) schedule does not depend on the total: the result equals an "
                    + "uninterrupted run of \(settings.steps) steps"
            observe(.note("resuming a run of \(recorded) steps for \(settings.steps): \(how)"))
        }
        trainer.network = checkpoint.network
        do {
            try trainer.optimizer.restore(checkpoint.optimizer, parameterCount: checkpoint.network.parameterCount)
        } catch {
            throw .data("\(path): \(error)")
        }
        progress = checkpoint.progress
    }

    private func writeCheckpoint(_ trainer: KRUTrainer, _ progress: TrainingProgress) throws(TrainingRunError) {
        // A checkpoint holds only what can be continued from: never overwrite a good one with a diverged network.
        guard trainer.network.parameters.allSatisfy(\.isFinite) else {
            throw TrainingRunError(.diverged, "step \(progress.step): a parameter became non-finite; the last good "
                                   + "checkpoint \(options.checkpointPath) is kept (try a smaller --lr or --clip)")
        }
        let checkpoint = TrainingCheckpoint(network: trainer.network, optimizer: trainer.optimizer.state,
                                            progress: progress,
                                            configuration: configuration)
        do { try checkpoint.write(toPath: options.checkpointPath) } catch {
            throw TrainingRunError(.cannotCreate, "\(options.checkpointPath): \(error)")
        }
    }

    /// The settings a checkpoint records and a resume must match.
    private var configuration: [KRUMetadataEntry] { settings.metadata }

    private func writeModel(_ network: KRUNetwork, _ progress: TrainingProgress) throws(TrainingRunError) {
        typealias Key = TrainingRecordKey
        // No wall time: the same command must write the same bytes.
        var record: [KRUMetadataEntry] = [.init("general.creation_tool",
                                                .string(plan.tool))] + plan.keptMetadata + configuration
        record += [
            .init(Key.validationMetric, .string(plan.task.unit)),
            .init(Key.validationHistory, .floatArray(progress.history)),
            .init(Key.finalLoss, .float(progress.lastLoss)),
        ]
        if let best = progress.best { record.append(.init(Key.bestStep, .int(Int64(best.step)))) }
        do { try network.write(toPath: options.modelPath, precision: .doubleFactors, metadata: record) } catch {
            throw TrainingRunError(.cannotCreate, "\(options.modelPath): \(error)")
        }
    }
}
