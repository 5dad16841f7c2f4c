import KRUFormat

/// Saved session states as files — the recurrent model's prompt cache: prime once, save, and start later runs from
/// the saved state instead of reading the prompt again.
///
/// A state file is a `.kru` container (spec/FORMAT.md), so it is read by the same validating reader as models:
/// metadata `kru.state.version` (1), `kru.state.fingerprint` (the model's ``KRUModel`` weight hash, as an int64
/// bit pattern), `kru.state.step_count`, `kru.state.batch_size`, `kru.state.layer_count`,
/// `kru.state.layer.L.planes`; one f32 tensor per layer plane (`state.layer.L.P`, batch × width) and
/// `state.outputs` (batch × K). Loading checks everything against the model before anything is restored.
extension KRUSessionState {
    static let fileVersion: Int64 = 1

    /// Writes the state to `path` atomically (a temporary file, then a rename).
    public func write(toPath path: String) throws {
        var metadata: [KRUMetadataEntry] = [
            .init("kru.state.version", .int(Self.fileVersion)),
            .init("kru.state.fingerprint", .int(Int64(bitPattern: fingerprint))),
            .init("kru.state.step_count", .int(Int64(stepCount))),
            .init("kru.state.batch_size", .int(Int64(batchSize))),
            .init("kru.state.layer_count", .int(Int64(layers.count))),
        ]
        var tensors: [KRUTensor] = []
        for (l, planes) in layers.enumerated() {
            metadata.append(.init("kru.state.layer.\(l).planes", .int(Int64(planes.count))))
            for (p, plane) in planes.enumerated() {
                let shape = [batchSize, plane.count / batchSize]
                tensors.append(KRUTensor(name: "state.layer.\(l).\(p)", shape: shape, floats: plane))
            }
        }
        tensors.append(KRUTensor(name: "state.outputs", shape: [batchSize, outputs.count / batchSize], floats: outputs))
        try KRUWriter(metadata: metadata, tensors: tensors).write(toPath: path)
    }

    /// Reads a state written by ``write(toPath:)`` for `model`.
    /// - Throws: `KRUFormatError` for a file that is not a valid container, ``ModelInputError`` for one that is
    ///   not a session state, or a state of another model.
    public init(path: String, model: KRUModel) throws {
        let file = try KRUFile(path: path)
        func int(_ key: String, _ range: ClosedRange<Int64>) throws -> Int64 {
            guard case .int(let value) = file.metadata(key), range.contains(value) else {
                throw ModelInputError("\(path) is not a kru session state (metadata \(key) is missing or out of range)")
            }
            return value
        }
        guard try int("kru.state.version", 1...Int64.max) == Self.fileVersion else {
            throw ModelInputError("\(path) is a session state of a newer version than this kru reads")
        }
        guard UInt64(bitPattern: try int("kru.state.fingerprint", Int64.min...Int64.max)) == model.fingerprint else {
            throw ModelInputError("\(path) holds the state of a different model")
        }
        let batchSize = Int(try int("kru.state.batch_size", 1...Int64(Int32.max)))
        let layerCount = Int(try int("kru.state.layer_count", 0...Int64(model.description.layers.count)))
        let stepCount = Int(try int("kru.state.step_count", 0...Int64.max))
        let expected = model.session(batchSize: 1).snapshot()
        let foreign = ModelInputError("\(path) holds the state of a different model")
        guard layerCount == expected.layers.count else { throw foreign }
        var layers: [[[Float]]] = []
        for l in 0..<layerCount {
            let planeCount = Int(try int("kru.state.layer.\(l).planes", 0...16))
            guard planeCount == expected.layers[l].count else { throw foreign }
            layers.append(try (0..<planeCount).map { p in
                let shape = [batchSize, expected.layers[l][p].count]
                return try Self.plane(file, "state.layer.\(l).\(p)", shape: shape, path: path)
            })
        }
        let outputs = try Self.plane(file, "state.outputs", shape: [batchSize, expected.outputs.count], path: path)
        self.init(batchSize: batchSize, layers: layers, outputs: outputs, stepCount: stepCount,
                  fingerprint: model.fingerprint)
    }

    private static func plane(_ file: KRUFile, _ name: String, shape: [Int], path: String) throws -> [Float] {
        guard let info = file.tensorInfo(named: name), info.shape == shape, info.dtype == .f32 else {
            throw ModelInputError("\(path): tensor \(name) is missing or is not f32 of shape \(shape)")
        }
        return try file.tensor(info).floats()
    }
}
