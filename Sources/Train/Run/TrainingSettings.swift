import KRUFormat
import KRUInference

/// Every setting of a training run: the one typed record of the `kru.train.*` keys that a model written by
/// `kru train` or `kru finetune` and its checkpoints carry (``metadata``). A checkpoint is resumed only by a run with
/// the same settings (except ``steps``, which may change: see docs/TRAINING.md).
///
/// ```swift
/// var settings = TrainingSettings(task: .copy(delay: 100))
/// settings.model = .init(cell: .kru, hidden: 128)      // 2×2 factors chosen from N
/// settings.steps = 1500
/// let plan = try TrainingPlan.train(settings)
/// let outcome = try TrainingRun(plan: plan, options: .init(modelPath: "copy.kru")).run { _ in }
/// ```
public struct TrainingSettings: Sendable, Equatable {
    /// The task and where its data comes from.
    public enum Task: Sendable, Equatable {
        /// Copy memory at delay T (generated).
        case copy(delay: Int)
        /// The adding problem at length T (generated).
        case adding(length: Int)
        /// Character language modelling on a UTF-8 text; validation on `valid` or the last 10 % of `data`.
        case charlm(data: String, valid: String?, bptt: Int)
        /// Sequence classification on a directory of .npy arrays (tools/data).
        case classify(data: String)
        /// Next-frame prediction on piano rolls in a directory of .npy arrays.
        case music(data: String)

        /// The name `--task` and `kru.train.task` use.
        public var name: String {
            switch self {
            case .copy: "copy"
            case .adding: "adding"
            case .charlm: "charlm"
            case .classify: "classify"
            case .music: "music"
            }
        }
    }

    /// The model `kru train` builds (nil for `kru finetune`, whose model exists).
    public struct Model: Sendable, Equatable {
        public enum Initialization: String, Sendable, CaseIterable { case random, identity }

        public var cell: ModelDescription.Cell
        /// N; nil: the product of explicit factor shapes.
        public var hidden: Int?
        /// The recurrence; nil: Kronecker factors chosen from N for a `kru` cell (2×2 when N is a power of two,
        /// else one factor per prime factor), dense for the real cells.
        public var factors: FactorSpecification?
        /// Kronecker terms summed per recurrent block.
        public var rank = 1
        /// The `kru` cell's activation.
        public var activation: ModelDescription.Activation = .modReLU
        /// Token models: the width of a learned embedding (nil: one-hot input).
        public var embedding: Int?
        public var initialization: Initialization = .random
        /// Identical recurrent layers stacked.
        public var layers = 1

        public init(cell: ModelDescription.Cell, hidden: Int? = nil, factors: FactorSpecification? = nil) {
            self.cell = cell
            self.hidden = hidden
            self.factors = factors
        }
    }

    public enum Optimizer: String, Sendable, CaseIterable { case adam, rmsprop }
    public enum Schedule: String, Sendable, CaseIterable { case constant, cosine, step }

    /// nil only before ``TrainingPlan/finetune(_:settings:)`` fills in the model's own task.
    public var task: Task?
    public var model: Model?
    /// Parameter updates.
    public var steps = 1000
    /// Sequences (character streams) per batch.
    public var batch = 16
    public var seed: UInt64 = 1
    /// Worker threads; results depend on it.
    public var threads = 2
    public var optimizer: Optimizer = .adam
    /// The peak learning rate.
    public var learningRate = 2e-3
    /// After the warm-up: constant, cosine (to 5 % of the peak at the last step) or step (×0.5 every ``decayEvery``).
    public var schedule: Schedule = .constant
    public var warmup = 0
    public var decayEvery = 1000
    public var recurrentLearningRateScale = 1.0
    public var weightDecay = 0.0
    /// λ of the soft unitary penalty.
    public var lambda = 0.01
    /// Gradient-norm clipping threshold (0: off).
    public var clip = 1.0
    public var validateEvery = 50
    /// Write the parameters of the best validation instead of the last ones.
    public var keepBest = false
    public var precision: TrainingPrecision = .single
    /// Inverted dropout between layers and before the readout (0: off).
    public var dropout = 0.0
    /// The size and hash of the data (set by ``TrainingPlan`` when it reads the data).
    public var data: DataFingerprint?
    /// `kru finetune`: the model file it started from.
    public var finetuneSource: String?
    /// `kru finetune --factors`: how its dense recurrences were factored first.
    public var finetuneFactors: FactoredRecurrence?
    /// `kru finetune --teacher`: the model distilled, and how.
    public var teacher: TeacherRecord?

    /// How `kru finetune --factors` factored a model's dense recurrences before training.
    public struct FactoredRecurrence: Sendable, Equatable {
        public var specification: FactorSpecification
        public var rank: Int
    }

    /// The teacher of a distilling run as its record names it.
    public struct TeacherRecord: Sendable, Equatable {
        /// The teacher file's name (the last component of its path).
        public var file: String
        /// The teacher file's size and hash, so that a resumed run notices another teacher under the same name.
        public var fingerprint: DataFingerprint
        public var distillation: Distillation
    }
    /// The `steps` of earlier runs that a resumed run continued with another total, when the schedule depends on
    /// the total (cosine): their updates followed those totals' schedules.
    public var earlierSteps: [Int] = []

    public init(task: Task?) { self.task = task }

    /// Checks every value: finite, in range, consistent (one line naming the setting as its flag is spelled).
    /// - Throws: ``TrainingRunError`` of kind `.usage`.
    public func validate() throws(TrainingRunError) {
        func positive(_ name: String, _ value: Int) throws(TrainingRunError) {
            guard value >= 1 else { throw .usage("--\(name) must be at least 1, got \(value)") }
        }
        func finite(_ name: String, _ value: Double, atLeast minimum: Double,
                    strictly: Bool = false) throws(TrainingRunError) {
            guard value.isFinite, strictly ? value > minimum : value >= minimum else {
                let bound = strictly ? "greater than \(minimum.formatted)" : "at least \(minimum.formatted)"
                throw .usage("--\(name) must be a finite number \(bound), got \(value)")
            }
        }
        try positive("steps", steps)
        try positive("batch", batch)
        try positive("threads", threads)
        try positive("validate-every", validateEvery)
        try positive("decay-every", decayEvery)
        guard warmup >= 0 else { throw .usage("--warmup must be at least 0, got \(warmup)") }
        guard threads <= 1024 else { throw .usage("--threads \(threads) is more than 1024") }
        try finite("lr", learningRate, atLeast: 0, strictly: true)
        try finite("lambda", lambda, atLeast: 0)
        try finite("clip", clip, atLeast: 0)
        try finite("recurrent-lr-scale", recurrentLearningRateScale, atLeast: 0)
        try finite("weight-decay", weightDecay, atLeast: 0)
        guard dropout.isFinite, dropout >= 0, dropout < 1 else {
            throw .usage("--dropout must be a probability in [0, 1), got \(dropout)")
        }
        switch task {
        case .copy(let delay)?: guard delay >= 1 else { throw .usage("--delay must be at least 1, got \(delay)") }
        case .adding(let length)?: guard length >= 2 else { throw .usage("--length must be at least 2, got \(length)") }
        case .charlm(_, _, let bptt)?: try positive("bptt", bptt)
        default: break
        }
        if let model {
            guard (1...ModelLimits.maxRank).contains(model.rank) else {
                throw .usage("--rank must be in 1…\(ModelLimits.maxRank), got \(model.rank)")
            }
            guard (1...ModelLimits.maxLayers).contains(model.layers) else {
                throw .usage("--layers must be in 1…\(ModelLimits.maxLayers), got \(model.layers)")
            }
            if let hidden = model.hidden, !(1...ModelLimits.maxSize).contains(hidden) {
                throw .usage("--hidden must be in 1…2^24, got \(hidden)")
            }
            if let embedding = model.embedding, !(1...ModelLimits.maxSize).contains(embedding) {
                throw .usage("--embedding must be in 1…2^24, got \(embedding)")
            }
        }
    }

    /// The run's record: every setting as a `kru.train.*` entry (and `kru.finetune.source`), in a fixed order, so the
    /// same settings always write the same bytes.
    public var metadata: [KRUMetadataEntry] {
        typealias Key = TrainingRecordKey
        var entries: [KRUMetadataEntry] = [
            .init(Key.steps, .int(Int64(steps))),
            .init(Key.batch, .int(Int64(batch))),
            .init(Key.seed, .int(Int64(bitPattern: seed))),
            .init(Key.threads, .int(Int64(threads))),
            .init(Key.optimizer, .string(optimizer.rawValue)),
            .init(Key.learningRate, .float(learningRate)),
            .init(Key.schedule, .string(schedule.rawValue)),
            .init(Key.warmup, .int(Int64(warmup))),
            .init(Key.lambda, .float(lambda)),
            .init(Key.clip, .float(clip)),
            .init(Key.validateEvery, .int(Int64(validateEvery))),
        ]
        if schedule == .step { entries.append(.init(Key.decayEvery, .int(Int64(decayEvery)))) }
        if keepBest { entries.append(.init(Key.keepBest, .bool(true))) }
        if recurrentLearningRateScale != 1 {
            entries.append(.init(Key.recurrentLearningRateScale, .float(recurrentLearningRateScale)))
        }
        if weightDecay > 0 { entries.append(.init(Key.weightDecay, .float(weightDecay))) }
        // Absent means Double: every model trained before single precision existed.
        if precision == .single { entries.append(.init(Key.precision, .string(precision.rawValue))) }
        if dropout > 0 { entries.append(.init(Key.dropout, .float(dropout))) }
        if !earlierSteps.isEmpty { entries.append(.init(Key.earlierSteps, .intArray(earlierSteps.map { Int64($0) }))) }
        if let task { entries += Self.taskEntries(task) }
        if let data {
            entries.append(.init(Key.dataBytes, .int(Int64(data.bytes))))
            entries.append(.init(Key.dataHash, .string(data.hashText)))
        }
        if let model { entries += Self.modelEntries(model) }
        if let finetuneSource { entries.append(.init(Key.finetuneSource, .string(finetuneSource))) }
        if let finetuneFactors {
            entries.append(.init(Key.finetuneFactors, .string(finetuneFactors.specification.description)))
            entries.append(.init(Key.finetuneRank, .int(Int64(finetuneFactors.rank))))
        }
        if let teacher {
            entries.append(.init(Key.teacher, .string(teacher.file)))
            entries.append(.init(Key.teacherBytes, .int(Int64(teacher.fingerprint.bytes))))
            entries.append(.init(Key.teacherHash, .string(teacher.fingerprint.hashText)))
            entries.append(.init(Key.distillTemperature, .float(teacher.distillation.temperature)))
            entries.append(.init(Key.distillWeight, .float(teacher.distillation.weight)))
        }
        return entries
    }

    private static func taskEntries(_ task: Task) -> [KRUMetadataEntry] {
        typealias Key = TrainingRecordKey
        var entries: [KRUMetadataEntry] = [.init(Key.task, .string(task.name))]
        switch task {
        case .copy(let delay): entries.append(.init(Key.delay, .int(Int64(delay))))
        case .adding(let length): entries.append(.init(Key.length, .int(Int64(length))))
        case .charlm(let data, let valid, let bptt):
            entries.append(.init(Key.bptt, .int(Int64(bptt))))
            entries.append(.init(Key.data, .string(fileName(data))))
            if let valid { entries.append(.init(Key.valid, .string(fileName(valid)))) }
        case .classify(let data), .music(let data):
            entries.append(.init(Key.data, .string(fileName(data))))
        }
        return entries
    }

    /// The model's entries; `hidden` and `factors` as resolved by ``TrainingPlan`` (the factors' text parses back).
    private static func modelEntries(_ model: Model) -> [KRUMetadataEntry] {
        typealias Key = TrainingRecordKey
        var entries: [KRUMetadataEntry] = [
            .init(Key.cell, .string(model.cell.rawValue)),
            .init(Key.hidden, .int(Int64(model.hidden ?? 0))),
            .init(Key.factors, .string((model.factors ?? .none).description)),
            .init(Key.rank, .int(Int64(model.rank))),
        ]
        if model.cell == .kru { entries.append(.init(Key.activation, .string(model.activation.rawValue))) }
        if let embedding = model.embedding { entries.append(.init(Key.embedding, .int(Int64(embedding)))) }
        if model.initialization != .random {
            entries.append(.init(Key.initialization, .string(model.initialization.rawValue)))
        }
        if model.layers != 1 { entries.append(.init(Key.layers, .int(Int64(model.layers)))) }
        return entries
    }

    /// The last component of a path (records name the data file, not where it lived).
    static func fileName(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
    }
}

extension Double {
    /// 0 as "0", other values as Swift prints them.
    fileprivate var formatted: String { self == 0 ? "0" : "\(self)" }
}
