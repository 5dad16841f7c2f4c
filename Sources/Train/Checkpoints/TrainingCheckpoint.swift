import KRUFormat
import KRUInference

/// A resumable snapshot of a training run, stored as a `.kru` container (spec/FORMAT.md) written atomically: the
/// network's tensors in double precision under their model names, the optimizer's buffers, the carried state and
/// the progress counters, and the run's configuration (`kru.train.*`) so that a resume with different settings is
/// refused instead of silently mixing two runs.
///
/// It is not a model file (the engine refuses its extra tensors): the finished model is written separately.
///
/// Tensors: the model's (f64/complex128), `checkpoint.optimizer.{buffer}` (f64), `checkpoint.state.{l}.{real,
/// imaginary,cell}` (f64, B × N). Metadata: `kru.checkpoint.step`, `.random` (the four xoshiro256** words as
/// two's-complement ints), `.position`, `.items`, `.last_loss`, `.seconds`, `.history`, `.optimizer_steps`,
/// `.state_batch` (absent without a carried state), `.best_step` and `.best_validation` with the tensor
/// `checkpoint.best_parameters` (the flat parameter vector at the best validation, with early stopping), plus the
/// configuration entries.
public struct TrainingCheckpoint: Sendable {
    public var network: KRUNetwork
    public var optimizer: OptimizerState
    public var progress: TrainingProgress
    /// The run's settings (the `kru.train.*` entries of the model it will write).
    public var configuration: [KRUMetadataEntry]

    public init(network: KRUNetwork, optimizer: OptimizerState, progress: TrainingProgress,
                configuration: [KRUMetadataEntry]) {
        self.network = network
        self.optimizer = optimizer
        self.progress = progress
        self.configuration = configuration
    }

    /// Writes the checkpoint atomically (the previous one survives an interrupted write).
    public func write(toPath path: String) throws {
        var tensors = network.tensors(precision: .double)
        for (name, values) in optimizer.buffers.sorted(by: { $0.key < $1.key }) where !values.isEmpty {
            tensors.append(KRUTensor(name: "checkpoint.optimizer.\(name)", shape: [values.count], doubles: values))
        }
        var metadata = configuration
        let random = progress.random.state
        metadata += [
            .init("kru.checkpoint.step", .int(Int64(progress.step))),
            .init("kru.checkpoint.random",
                  .intArray([random.0, random.1, random.2, random.3].map { Int64(bitPattern: $0) })),
            .init("kru.checkpoint.position", .int(Int64(progress.position))),
            .init("kru.checkpoint.items", .int(Int64(progress.items))),
            .init("kru.checkpoint.last_loss", .float(progress.lastLoss)),
            .init("kru.checkpoint.seconds", .float(progress.seconds)),
            .init("kru.checkpoint.history", .floatArray(progress.history)),
            .init("kru.checkpoint.optimizer_steps", .int(Int64(optimizer.stepCount))),
        ]
        if let best = progress.best {
            metadata.append(.init("kru.checkpoint.best_step", .int(Int64(best.step))))
            metadata.append(.init("kru.checkpoint.best_validation", .float(best.validation)))
            tensors.append(KRUTensor(name: "checkpoint.best_parameters", shape: [best.parameters.count],
                                     doubles: best.parameters))
        }
        if let state = progress.state {
            metadata.append(.init("kru.checkpoint.state_batch", .int(Int64(state.batchSize))))
            for (l, layer) in state.layers.enumerated() {
                for (plane, values) in [("real", layer.real), ("imaginary", layer.imaginary),
                                        ("cell", layer.cell)] where !values.isEmpty {
                    tensors.append(KRUTensor(name: "checkpoint.state.\(l).\(plane)",
                                             shape: [state.batchSize, values.count / state.batchSize],
                                             doubles: values))
                }
            }
        }
        // Stored uncompressed: Double parameters and optimizer moments barely shrink under zlib, and deflating them
        // at level 9 only to store them raw cost about 1.2 s per checkpoint of a dense LSTM-512 (28 MB), every
        // --checkpoint-every steps of a run whose 50 steps take about 5 s.
        try KRUWriter(metadata: metadata, tensors: tensors, compression: .never).write(toPath: path)
    }

    /// Reads a checkpoint of a run of `architecture` whose configuration is `configuration`.
    ///
    /// - Throws: `KRUFormatError` for a damaged file; ``TrainingCheckpointError`` when it belongs to another
    /// configuration
    ///   (naming the first differing setting) or its contents do not fit the architecture.
    public init(path: String, architecture: KRUArchitecture, configuration: [KRUMetadataEntry]) throws {
        let file = try KRUFile(path: path)
        for entry in configuration where file.metadata(entry.key) != entry.value {
            let stored = file.metadata(entry.key).map { "\($0)" } ?? "nothing"
            throw TrainingCheckpointError("written by another run: \(entry.key) is \(stored) there, \(entry.value) now")
        }
        func int(_ key: String) throws -> Int {
            guard case .int(let v)? = file.metadata(key), v >= 0 else {
                throw TrainingCheckpointError("\(key) is missing or negative")
            }
            return Int(v)
        }
        func float(_ key: String) throws -> Double {
            guard case .float(let v)? = file.metadata(key) else { throw TrainingCheckpointError("\(key) is missing") }
            return v
        }
        guard case .intArray(let words)? = file.metadata("kru.checkpoint.random"), words.count == 4 else {
            throw TrainingCheckpointError("kru.checkpoint.random must hold four ints")
        }
        guard case .floatArray(let history)? = file.metadata("kru.checkpoint.history") else {
            throw TrainingCheckpointError("kru.checkpoint.history is missing")
        }
        let parameters = try KRUNetwork.parameters(of: architecture, from: file)
        var buffers: [String: [Double]] = [:]
        for info in file.tensors where info.name.hasPrefix("checkpoint.optimizer.") {
            guard info.shape == [parameters.count] else {
                throw TrainingCheckpointError("\(info.name) does not fit the \(parameters.count) parameters")
            }
            buffers[String(info.name.dropFirst("checkpoint.optimizer.".count))] = try file.tensor(info).doubles()
        }
        var state: RecurrentState?
        if file.metadata("kru.checkpoint.state_batch") != nil {
            let batch = try int("kru.checkpoint.state_batch")
            state = RecurrentState(batchSize: batch, layers: try architecture.layers.indices.map { l in
                func plane(_ name: String) throws -> [Double] {
                    guard let info = file.tensorInfo(named: "checkpoint.state.\(l).\(name)") else { return [] }
                    return try file.tensor(info).doubles()
                }
                return RecurrentState.Layer(real: try plane("real"), imaginary: try plane("imaginary"),
                                            cell: try plane("cell"))
            })
            guard state!.fits(architecture, batchSize: batch) else {
                throw TrainingCheckpointError("the carried state does not fit the model")
            }
        }
        var best: (step: Int, validation: Double, parameters: [Double])?
        if file.metadata("kru.checkpoint.best_step") != nil {
            guard let info = file.tensorInfo(named: "checkpoint.best_parameters"),
                  info.shape == [parameters.count] else {
                throw TrainingCheckpointError(
                    "checkpoint.best_parameters is missing or does not fit the \(parameters.count) parameters")
            }
            best = (try int("kru.checkpoint.best_step"), try float("kru.checkpoint.best_validation"),
                    try file.tensor(info).doubles())
        }
        let random = KRURandom(state: (UInt64(bitPattern: words[0]), UInt64(bitPattern: words[1]),
                                       UInt64(bitPattern: words[2]), UInt64(bitPattern: words[3])))
        network = KRUNetwork(architecture: architecture, parameters: parameters)
        optimizer = OptimizerState(stepCount: try int("kru.checkpoint.optimizer_steps"), buffers: buffers)
        progress = TrainingProgress(step: try int("kru.checkpoint.step"), random: random,
                                    position: try int("kru.checkpoint.position"),
                                    state: state, history: history, items: try int("kru.checkpoint.items"),
                                    lastLoss: try float("kru.checkpoint.last_loss"),
                                    seconds: try float("kru.checkpoint.seconds"),
                                    best: best)
        self.configuration = configuration
    }
}

/// Why a checkpoint cannot be resumed.
public struct TrainingCheckpointError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
