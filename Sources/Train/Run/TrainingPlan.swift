import Foundation
import KRUFormat
import KRUInference

/// Everything a ``TrainingRun`` starts from: the complete settings (the model's hidden size and factors resolved,
/// the data's fingerprint recorded), the task with its data, the network — fresh (`kru train`) or read from a model
/// (`kru finetune`) — and the generator that continues from its initialisation.
///
/// Building a plan reads and checks the data and refuses a run that cannot fit in memory before anything large is
/// allocated (see ``TrainingMemory``).
public struct TrainingPlan {
    public var settings: TrainingSettings
    public let task: any TrainingTask
    public let network: KRUNetwork
    public let random: KRURandom
    /// `general.creation_tool` of the model the run writes.
    public let tool: String
    /// Metadata kept from the model being fine-tuned (its `general.*` and `kru.convert.*` entries).
    public let keptMetadata: [KRUMetadataEntry]
    /// What the plan chose on the user's behalf (e.g. default factors), to be shown to them.
    public let notes: [String]

    /// A fresh model of `settings.model` on `settings.task` (`kru train`).
    /// - Throws: ``TrainingRunError`` naming the setting, file or size at fault.
    public static func train(_ settings: TrainingSettings) throws(TrainingRunError) -> TrainingPlan {
        try settings.validate()
        guard let task = settings.task else { throw .usage("a training run needs a task") }
        guard let model = settings.model else { throw .usage("kru train needs a model to build") }
        var settings = settings
        let (layer, resolved, note) = try resolve(model)
        settings.model = resolved
        let layers = Array(repeating: layer, count: resolved.layers)
        let evaluation = EvaluationSettings(threads: settings.threads, precision: settings.precision)
        let built = try taskAndArchitecture(task, layers: layers, embedding: resolved.embedding, settings: settings,
                                            evaluation: evaluation)
        settings.data = built.fingerprint
        var random = KRURandom(seed: settings.seed)
        let start = KRUInitialization(factors: resolved.initialization == .random ? .randomUnitary : .identity)
        let network = KRUNetwork(architecture: built.architecture, initialization: start, random: &random)
        return TrainingPlan(settings: settings, task: built.task, network: network, random: random, tool: "kru train",
                            keptMetadata: [], notes: note.map { [$0] } ?? [])
    }

    /// The layer a model's settings describe, the settings with N and the factors resolved, and a note when the
    /// factors were chosen for the user.
    static func resolve(_ model: TrainingSettings.Model) throws(TrainingRunError)
        -> (LayerArchitecture, TrainingSettings.Model, String?) {
        var model = model
        var note: String?
        let shapes: [KroneckerFactorShape]?
        switch model.factors {
        case nil where model.cell == .kru:
            guard let n = model.hidden else {
                throw .usage("a kru cell needs --hidden (its factors are then chosen) or --factors")
            }
            let rule: FactorSpecification.AutomaticFactors = n & (n - 1) == 0 ? .twoByTwoChain : .primeChain
            shapes = n == 1 ? [.square(1)] : try factorShapes(.automatic(rule), n)
            let chosen = FactorSpecification.shapes(shapes!)
            note = "--factors not given: N = \(n) as \(shapes!.count) factors (--factors \(chosen))"
        case nil, .none?:
            guard model.cell != .kru else { throw .usage("a kru cell needs Kronecker factors, not --factors none") }
            guard model.hidden != nil else { throw .usage("a dense \(model.cell.rawValue) cell needs --hidden") }
            shapes = nil
        case .automatic?:
            guard let n = model.hidden else { throw .usage("--factors \(model.factors!) needs --hidden") }
            shapes = try factorShapes(model.factors!, n)
        case .shapes?:
            let n = model.factors!.size ?? 0
            if let hidden = model.hidden, hidden != n {
                let product = n > 0 ? "\(n)" : "unequal rows and columns"
                throw .usage("--hidden \(hidden) is not the product of the factor sizes \(model.factors!) (\(product))")
            }
            shapes = try factorShapes(model.factors!, n)
        }
        let n = model.hidden ?? shapes!.reduce(1) { $0 * $1.rows }
        model.hidden = n
        model.factors = shapes.map(FactorSpecification.shapes) ?? FactorSpecification.none
        let layer: LayerArchitecture
        if model.cell == .kru {
            layer = LayerArchitecture(hiddenSize: n, activation: model.activation, factorShapes: shapes!,
                                      rank: model.rank)
        } else {
            layer = LayerArchitecture(cell: model.cell, hiddenSize: n,
                                      recurrence: shapes.map { .kronecker(factorShapes: $0,
                                                                          rank: model.rank) } ?? .dense)
        }
        return (layer, model, note)
    }

    private static func factorShapes(_ specification: FactorSpecification,
                                     _ n: Int) throws(TrainingRunError) -> [KroneckerFactorShape] {
        do {
            guard let shapes = try specification.shapes(for: n) else { throw FactorSpecificationError("no factors") }
            return shapes
        } catch {
            throw .usage("\(error)")
        }
    }

    /// The task object, the model's architecture around `layers`, and the data's fingerprint — after checking that
    /// a run of this size fits in memory.
    static func taskAndArchitecture(_ task: TrainingSettings.Task, layers: [LayerArchitecture], embedding: Int?,
                                    vocabulary: [Unicode.Scalar]? = nil, settings: TrainingSettings,
                                    evaluation: EvaluationSettings) throws(TrainingRunError)
        -> (task: any TrainingTask, architecture: KRUArchitecture, fingerprint: DataFingerprint?) {
        func architecture(_ make: () throws -> KRUArchitecture) throws(TrainingRunError) -> KRUArchitecture {
            do { return try make() } catch { throw .usage("\(error)") }
        }
        func fits(_ architecture: KRUArchitecture, steps: Double, sequences: Int) throws(TrainingRunError) {
            try TrainingMemory.check(architecture, rows: steps * Double(sequences), steps: steps, sequences: sequences,
                                     precision: settings.precision, threads: settings.threads,
                                     keepBest: settings.keepBest)
        }
        let sequences = max(settings.batch, SyntheticTraining.validationSequences)
        switch task {
        case .copy(let delay):
            let kind = SyntheticTraining.Kind.copy(CopyMemoryTask(delay: delay))
            let model = try architecture { try kind.architecture(layers: layers) }
            try fits(model, steps: Double(delay) + Double(2 * CopyMemoryTask.recallCount), sequences: sequences)
            return (SyntheticTraining(kind: kind, batchSize: settings.batch, seed: settings.seed,
                                      evaluation: evaluation), model, nil)
        case .adding(let length):
            let kind = SyntheticTraining.Kind.adding(AddingTask(length: length))
            let model = try architecture { try kind.architecture(layers: layers) }
            try fits(model, steps: Double(length), sequences: sequences)
            return (SyntheticTraining(kind: kind, batchSize: settings.batch, seed: settings.seed,
                                      evaluation: evaluation), model, nil)
        case .charlm(let data, let valid, let bptt):
            let (characters, training, fingerprint) = try TrainingData.characters(
                data: data, valid: valid, vocabulary: vocabulary, streams: settings.batch, bptt: bptt,
                evaluation: evaluation)
            let model = try architecture { try characters.architecture(layers: layers, embeddingWidth: embedding) }
            try fits(model, steps: Double(bptt), sequences: settings.batch)
            return (training, model, fingerprint)
        case .classify(let directory):
            let (training, examples, fingerprint) = try TrainingData.classification(directory,
                batchSize: settings.batch,
                                                                                 evaluation: evaluation)
            let model = try architecture { try examples.architecture(layers: layers) }
            try fits(model, steps: Double(examples.length), sequences: max(settings.batch, 100))
            return (training, model, fingerprint)
        case .music(let directory):
            let (training, rolls, fingerprint) = try TrainingData.music(directory, batchSize: settings.batch,
                                                                        evaluation: evaluation)
            let model = try architecture { try rolls.architecture(layers: layers) }
            try fits(model, steps: Double(rolls.lengths.max()! - 1), sequences: sequences)
            return (training, model, fingerprint)
        }
    }
}

// MARK: Fine-tuning

/// What `kru finetune` starts from besides the training settings: the model, and the data or task length to train
/// it on.
public struct FinetuneSource: Sendable {
    /// The model file.
    public var model: String
    /// Character, classification or music models: the training data (a text, or a directory of .npy arrays).
    public var data: String?
    /// Character models: the validation text (default: the last 10 % of `data`).
    public var valid: String?
    /// Character models: the truncated BPTT window.
    public var bptt = 100
    /// Copy-memory models: the delay to train at (default: the model's own).
    public var delay: Int?
    /// Adding models: the length to train at (default: the model's own).
    public var length: Int?
    /// Factor the model's dense recurrences first (the `--factors` grammar), as `kru convert` does; nil: keep them.
    public var factors: FactorSpecification?
    /// Kronecker terms per gate block when factoring.
    public var rank = 1
    /// Character models: a model to distil (``DistillationTeacher``), with the same vocabulary; nil: no teacher.
    public var teacher: String?
    /// With `teacher`: the temperature and weight (nil: ``Distillation``'s defaults).
    public var distillation: Distillation?

    public init(model: String) { self.model = model }
}

extension TrainingPlan {
    /// The longest T taken from a file: a damaged or hostile value must not size the batches.
    static let longestRecordedLength = 100_000

    /// Continues training the model of `source` (`kru finetune`): every parameter trains and the model keeps its
    /// structure. A copy-memory or adding model (its `kru.train.task` says so) trains on fresh sequences of its task,
    /// at its own T or the one given (a curriculum); any other model on `source.data`, as its inputs and outputs say:
    /// a character model as `charlm`, a sequence classifier as `classify`, a Bernoulli-output vector model as `music`.
    /// `settings.task` and `settings.model` are filled in from the model.
    public static func finetune(_ source: FinetuneSource,
                                settings: TrainingSettings) throws(TrainingRunError) -> TrainingPlan {
        var settings = settings
        settings.task = nil
        settings.model = nil
        try settings.validate()
        if let delay = source.delay, delay < 1 { throw .usage("--delay must be at least 1, got \(delay)") }
        if let length = source.length, length < 2 { throw .usage("--length must be at least 2, got \(length)") }
        if source.teacher == nil, source.distillation != nil {
            throw .usage("--distill-temperature and --distill-weight need --teacher")
        }
        try source.distillation?.validate()
        _ = try TrainingData.requireRegularFile(source.model)
        let file: KRUFile, loaded: KRUNetwork
        do {
            file = try KRUFile(path: source.model)
            loaded = try KRUNetwork(file: file)
        } catch let error as KRUFormatError where error.code == .io {
            throw TrainingRunError(.io, "\(source.model): \(error)")
        } catch {
            throw .data("\(source.model): \(error)")
        }
        var network = loaded, notes: [String] = []
        if let factors = source.factors {
            guard (1...ModelLimits.maxRank).contains(source.rank) else {
                throw .usage("--rank must be in 1…\(ModelLimits.maxRank), got \(source.rank)")
            }
            let errors: [Double]
            (network, errors) = try loaded.factorizingDenseRecurrences(factors, rank: source.rank)
            guard network.architecture != loaded.architecture else {
                throw .usage("\(source.model) has no dense recurrence for --factors \(factors) to factor")
            }
            notes.append("factored the dense recurrences as --factors \(factors) --rank \(source.rank): relative "
                         + "errors "
                         + errors.map { String(format: "%.3g", $0) }.joined(separator: ", "))
            settings.finetuneFactors = .init(specification: factors, rank: source.rank)
        }
        let task = try finetuneTask(source, file: file, architecture: network.architecture)
        settings.task = task
        settings.finetuneSource = TrainingSettings.fileName(source.model)
        let evaluation = EvaluationSettings(threads: settings.threads, precision: settings.precision)
        let built = try taskAndArchitecture(task, layers: network.architecture.layers,
                                            embedding: network.architecture.embeddingWidth,
                                            vocabulary: network.architecture.vocabulary, settings: settings,
                                            evaluation: evaluation)
        guard built.architecture == network.architecture else {
            throw .data("\(source.model): its inputs and outputs do not fit the \(task.name) data it would train on")
        }
        settings.data = built.fingerprint
        var trainingTask = built.task
        if let teacher = source.teacher {
            let distilling = try distillingTask(built.task, teacher: teacher, source: source,
                                                vocabulary: network.architecture.vocabulary)
            (trainingTask, settings.teacher) = (distilling.task, distilling.record)
        }
        // Keep who made the model and how it was converted; the training record is the fine-tuning's.
        let kept = file.metadata.filter { entry in
            (entry.key.hasPrefix("general.") && entry.key != "general.creation_tool")
                || entry.key.hasPrefix("kru.convert.")
        }
        return TrainingPlan(settings: settings, task: trainingTask, network: network,
                            random: KRURandom(seed: settings.seed),
                            tool: "kru finetune", keptMetadata: kept, notes: notes)
    }

    /// The character task of `task` with the teacher at `path` attached, and the record of the teacher: its file's
    /// name, size and hash (of the bytes read, the ones the engine runs) and the distillation settings.
    private static func distillingTask(_ task: any TrainingTask, teacher path: String, source: FinetuneSource,
                                       vocabulary: [Unicode.Scalar]?) throws(TrainingRunError)
        -> (task: CharacterTraining, record: TrainingSettings.TeacherRecord) {
        guard var characters = task as? CharacterTraining, let vocabulary else {
            throw .usage("--teacher distils character models; \(source.model) is not one")
        }
        let bytes = try TrainingData.read(path)
        let model: KRUModel
        do { model = try KRUModel(file: KRUFile(bytes: [UInt8](bytes))) } catch {
            throw .data("--teacher \(path): \(error)")
        }
        let distillation = source.distillation ?? Distillation()
        characters.teacher = try DistillationTeacher(model: model, vocabulary: vocabulary, distillation: distillation,
                                                     name: "--teacher \(path)")
        let record = TrainingSettings.TeacherRecord(file: TrainingSettings.fileName(path),
                                                    fingerprint: DataFingerprint(files: [bytes]),
                                                    distillation: distillation)
        return (characters, record)
    }

    /// The task a model trains on: its own synthetic task (at the given T), or the data's, chosen by its inputs and
    /// outputs.
    private static func finetuneTask(_ source: FinetuneSource, file: KRUFile,
                                     architecture: KRUArchitecture) throws(TrainingRunError) -> TrainingSettings.Task {
        let model = source.model
        guard case .string(let recorded)? = file.metadata(TrainingRecordKey.task),
              recorded == "copy" || recorded == "adding" else {
            if source.delay != nil || source.length != nil {
                throw .usage("--delay and --length are for copy-memory and adding models; \(model) is neither")
            }
            guard let data = source.data else { throw .usage("kru finetune needs --data for \(model)") }
            switch (architecture.vocabulary, architecture.output.kind, architecture.output.steps) {
            case (_?, .categorical, .every): return .charlm(data: data, valid: source.valid, bptt: source.bptt)
            case (nil, .categorical, .last): return .classify(data: data)
            case (nil, .bernoulli, .every): return .music(data: data)
            default:
                throw .data("\(model): kru finetune trains character models, sequence classifiers, piano-roll "
                             + "models and "
                             + "copy/adding models; this model is none of them")
            }
        }
        if source.data != nil {
            throw .usage("\(model) is a \(recorded) model: it trains on generated sequences, not --data")
        }
        let isCopy = recorded == "copy"
        if isCopy ? source.length != nil : source.delay != nil {
            let (wanted, other) = isCopy ? ("--delay", "--length") : ("--length", "--delay")
            throw .usage("\(model) is a \(recorded) model: give \(wanted), not \(other)")
        }
        let (key, flag, given, minimum) = isCopy ? (TrainingRecordKey.delay, "--delay", source.delay, 1)
            : (TrainingRecordKey.length, "--length", source.length, 2)
        var length = given
        if length == nil, case .int(let value)? = file.metadata(key), value >= minimum, value <= longestRecordedLength {
            length = Int(value)
        }
        guard let t = length else {
            throw .usage("\(model): \(key) is missing or out of range (\(minimum)…\(longestRecordedLength)); "
                         + "give \(flag)")
        }
        return isCopy ? .copy(delay: t) : .adding(length: t)
    }
}

extension KRUArchitecture {
    /// The embedding width of a token model with an embedding, else nil.
    var embeddingWidth: Int? {
        if case .tokens(_, let width) = input { width } else { nil }
    }
}
