/// The metadata keys of a training record (`kru.train.*`, and `kru.finetune.source`): every key spelled here
/// once. ``TrainingSettings`` writes and reads the settings; the run adds the results.
enum TrainingRecordKey {
    static let prefix = "kru.train."
    // The run's settings.
    static let steps = "kru.train.steps"
    static let batch = "kru.train.batch"
    static let seed = "kru.train.seed"
    static let threads = "kru.train.threads"
    static let optimizer = "kru.train.optimizer"
    static let learningRate = "kru.train.lr"
    static let schedule = "kru.train.schedule"
    static let warmup = "kru.train.warmup"
    static let lambda = "kru.train.lambda"
    static let clip = "kru.train.clip"
    static let validateEvery = "kru.train.validate_every"
    static let decayEvery = "kru.train.decay_every"
    static let keepBest = "kru.train.keep_best"
    static let recurrentLearningRateScale = "kru.train.recurrent_lr_scale"
    static let weightDecay = "kru.train.weight_decay"
    static let precision = "kru.train.precision"
    static let dropout = "kru.train.dropout"
    static let earlierSteps = "kru.train.earlier_steps"
    // The task and its data.
    static let task = "kru.train.task"
    static let delay = "kru.train.delay"
    static let length = "kru.train.length"
    static let bptt = "kru.train.bptt"
    static let data = "kru.train.data"
    static let valid = "kru.train.valid"
    static let dataBytes = "kru.train.data_bytes"
    static let dataHash = "kru.train.data_hash"
    // The model `kru train` built.
    static let cell = "kru.train.cell"
    static let hidden = "kru.train.hidden"
    static let factors = "kru.train.factors"
    static let rank = "kru.train.rank"
    static let activation = "kru.train.activation"
    static let embedding = "kru.train.embedding"
    static let initialization = "kru.train.initialization"
    static let layers = "kru.train.layers"
    // Results.
    static let validationMetric = "kru.train.validation_metric"
    static let validationHistory = "kru.train.validation_history"
    static let finalLoss = "kru.train.final_loss"
    static let bestStep = "kru.train.best_step"
    // Fine-tuning.
    static let finetuneSource = "kru.finetune.source"
}
