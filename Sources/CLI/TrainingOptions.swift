import ArgumentParser
import Foundation
import KRUFormat
import KRUTrain

/// The options every training command shares (`kru train`, `kru finetune`): the optimisation, the schedule, the
/// data, validation, checkpoints and the output.
struct TrainingOptions: ParsableArguments {
    enum OptimizerKind: String, ExpressibleByArgument, CaseIterable { case adam, rmsprop }
    enum ScheduleKind: String, ExpressibleByArgument, CaseIterable { case constant, cosine, step }

    @Option(help: "charlm: the training text (UTF-8); classify: the data directory (train-inputs.npy, train-targets.npy, valid-…).")
    var data: String?
    @Option(help: "charlm: the validation text (default: the last 10 % of --data).") var valid: String?
    @Option(help: "charlm: truncated BPTT window in characters.") var bptt = 100
    @Option(help: "Parameter updates.") var steps = 1000
    @Option(help: "Sequences (streams for charlm) per batch.") var batch = 16
    @Option(help: "adam or rmsprop.") var optimizer: OptimizerKind = .adam
    @Option(help: "Peak learning rate.") var lr = 2e-3
    @Option(help: "Learning-rate schedule after the warm-up: constant, cosine (to 5 % of --lr at the last step) or step (×0.5 every --decay-every updates).")
    var schedule: ScheduleKind = .constant
    @Option(help: "Updates of linear learning-rate warm-up.") var warmup = 0
    @Option(help: "step schedule: halve the rate every this many updates.") var decayEvery = 1000
    @Option(help: "The recurrent matrices' learning rate as a fraction of --lr (long sequences need them to move slowly).")
    var recurrentLrScale = 1.0
    @Option(help: "Decoupled weight decay (AdamW): weight matrices shrink by lr × this each update; biases and Kronecker factors do not (0 = off).")
    var weightDecay = 0.0
    @Option(help: "Strength λ of the soft unitary penalty on Kronecker factors (0 = off).") var lambda = 0.01
    @Option(help: "Clip the gradient to this norm (0 = off).") var clip = 1.0
    @Option(help: "Seed of the initialisation and the data.") var seed: UInt64 = 1
    @Option(help: "Worker threads (results depend on it).") var threads = 2
    @Option(help: "single (fast) or double (the reference arithmetic).") var precision: TrainingPrecision = .single
    @Option(help: "Validate every this many steps.") var validateEvery = 50
    @Option(help: "The .kru model to write.") var out: String
    @Option(help: "Checkpoint file (default: --out with .checkpoint appended).") var checkpoint: String?
    @Option(help: "Write a checkpoint every this many steps (default: --validate-every; 0 = never).") var checkpointEvery: Int?
    @Flag(help: "Continue from the checkpoint; the result equals an uninterrupted run's.") var resume = false
    @Flag(help: "Early stopping: write the parameters of the best validation instead of the last ones.") var keepBest = false
    @Option(help: "Stop (with a checkpoint) after this many updates in this run; --resume continues.") var stopAfter: Int?
    @Option(help: "Append one JSON line per validation to this file (step, learning rate, loss, validation, seconds): a record of long runs.")
    var log: String?
    @Flag(help: "Print the summary as JSON.") var json = false

    /// Checks the values (one-line errors through `usage`).
    func validate() throws {
        guard steps >= 1, batch >= 1, threads >= 1, validateEvery >= 1, bptt >= 1, decayEvery >= 1 else {
            throw usage("--steps, --batch, --threads, --validate-every, --bptt and --decay-every must be at least 1")
        }
        guard lr > 0, lambda >= 0, clip >= 0, recurrentLrScale >= 0, weightDecay >= 0, warmup >= 0, (checkpointEvery ?? 0) >= 0, (stopAfter ?? 1) >= 1 else {
            throw usage("--lr must be positive; --lambda, --clip, --recurrent-lr-scale, --weight-decay, --warmup and --checkpoint-every non-negative; --stop-after at least 1")
        }
    }

    var checkpointPath: String { checkpoint ?? out + ".checkpoint" }
    var checkpointInterval: Int { checkpointEvery ?? validateEvery }

    var learningRateSchedule: LearningRateSchedule {
        let decay: LearningRateSchedule.Decay = switch schedule {
        case .constant: .constant
        case .cosine: .cosine(floor: 0.05)
        case .step: .step(every: decayEvery, factor: 0.5)
        }
        return LearningRateSchedule(peak: lr, decay: decay, warmup: warmup, totalSteps: steps)
    }

    func makeTrainer(_ network: KRUNetwork) -> KRUTrainer {
        let optimizer: any Optimizer = switch self.optimizer {
        case .adam: Adam(learningRate: lr)
        case .rmsprop: RMSprop(learningRate: lr)
        }
        return KRUTrainer(network: network, optimizer: optimizer,
                          configuration: .init(unitaryPenalty: lambda, clipNorm: clip > 0 ? clip : nil, threads: threads,
                                               recurrentLearningRateScale: recurrentLrScale, weightDecay: weightDecay,
                                               precision: precision))
    }

    /// The `kru.train.*` settings of the run (written to the model; a checkpoint must match them to be resumed).
    var configurationMetadata: [KRUMetadataEntry] {
        var entries: [KRUMetadataEntry] = [
            .init("kru.train.steps", .int(Int64(steps))),
            .init("kru.train.batch", .int(Int64(batch))),
            .init("kru.train.seed", .int(Int64(bitPattern: seed))),
            .init("kru.train.threads", .int(Int64(threads))),
            .init("kru.train.optimizer", .string(optimizer.rawValue)),
            .init("kru.train.lr", .float(lr)),
            .init("kru.train.schedule", .string(schedule.rawValue)),
            .init("kru.train.warmup", .int(Int64(warmup))),
            .init("kru.train.lambda", .float(lambda)),
            .init("kru.train.clip", .float(clip)),
            .init("kru.train.validate_every", .int(Int64(validateEvery))),
        ]
        if schedule == .step { entries.append(.init("kru.train.decay_every", .int(Int64(decayEvery)))) }
        if keepBest { entries.append(.init("kru.train.keep_best", .bool(true))) }
        if recurrentLrScale != 1 { entries.append(.init("kru.train.recurrent_lr_scale", .float(recurrentLrScale))) }
        if weightDecay > 0 { entries.append(.init("kru.train.weight_decay", .float(weightDecay))) }
        if precision == .single { entries.append(.init("kru.train.precision", .string(precision.rawValue))) }
        return entries
    }
}

extension TrainingPrecision: ExpressibleByArgument {}
