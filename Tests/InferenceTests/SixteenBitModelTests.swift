import KRUFormat
import Testing
@testable import KRUInference

/// Whole models with their dense recurrent matrices narrowed (`kru quantize --tensors recurrent`): the engine keeps
/// them 16-bit, and every output must be bit for bit what the engine computed before, when it widened them to
/// `Float` at load — which the oracle model does, being the same file with those tensors re-stored as f32 holding
/// the widened values (the path every f32 file takes, unchanged).
@Suite struct SixteenBitModelTests {
    /// A two-layer token model with dense recurrences, by default of hidden sizes 37 and 21: neither a multiple of
    /// a vector's width, so every product has a body and a tail.
    static func model(
        _ cell: ModelDescription.Cell, vocabulary: Int = 11, hidden: [Int] = [37, 21], seed: UInt64
    ) throws -> KRUFile {
        var rng = SplitMix64(seed: seed)
        let g = cell.gateCount
        var metadata: [KRUMetadataEntry] = [
            .init("kru.schema_version", .int(1)),
            .init("kru.input.kind", .string("tokens")),
            .init("kru.input.vocabulary", .stringArray((0..<vocabulary).map { String(UnicodeScalar(97 + $0)!) })),
            .init("kru.layer_count", .int(2)),
            .init("kru.output.kind", .string("categorical")),
            .init("kru.output.width", .int(Int64(vocabulary))),
            .init("kru.output.steps", .string("every")),
        ]
        var tensors: [KRUTensor] = []
        func weights(_ name: String, _ shape: [Int], scale: Float) {
            let values = rng.floats(shape.reduce(1, *)).map { $0 * scale }
            tensors.append(KRUTensor(name: name, shape: shape, floats: values))
        }
        for (l, n) in hidden.enumerated() {
            let d = l == 0 ? vocabulary : hidden[l - 1]
            metadata += [.init("kru.layer.\(l).cell", .string(cell.rawValue)),
                         .init("kru.layer.\(l).hidden_size", .int(Int64(n))),
                         .init("kru.layer.\(l).recurrent", .string("dense"))]
            weights(ModelTensorName.inputWeight(layer: l), [g * n, d], scale: 0.8)
            weights(ModelTensorName.recurrentWeight(layer: l), [g * n, n], scale: 0.5)
            weights(ModelTensorName.inputBias(layer: l), [g * n], scale: 0.2)
            weights(ModelTensorName.recurrentBias(layer: l), [g * n], scale: 0.2)
        }
        weights(ModelTensorName.readoutWeight, [vocabulary, hidden[1]], scale: 1)
        weights(ModelTensorName.readoutBias, [vocabulary], scale: 0.1)
        return try KRUFile(bytes: KRUWriter(metadata: metadata, tensors: tensors).encode())
    }

    /// `file` with every 16-bit tensor re-stored as f32 holding its widened values.
    static func widened(_ file: KRUFile) throws -> KRUFile {
        let tensors = try file.tensors.map { info in
            let t = try file.tensor(info)
            return [.bf16, .f16].contains(t.dtype) ? KRUTensor(name: t.name, shape: t.shape, floats: try t.floats()) : t
        }
        return try KRUFile(bytes: KRUWriter(metadata: file.metadata, tensors: tensors).encode())
    }

    /// Every layer's outputs and state, stream by stream, after each of `steps` steps of `batch` streams.
    static func trace(
        _ model: KRUModel, batch: Int, steps: Int, variant: KernelVariant, threads: Int = 1
    ) throws -> [Float] {
        // A team that shares every product, so the shared path runs from the first step.
        let session = model.session(batchSize: batch, variant: variant, threads: threads, adaptiveThreads: false)
        let vocabulary = model.description.outputWidth
        var rng = SplitMix64(seed: UInt64(batch))
        var trace: [Float] = []
        for _ in 0..<steps {
            try session.feed(tokens: (0..<batch).map { _ in rng.nextInt(in: 0...vocabulary - 1) })
            trace += session.outputValues()
            for l in model.description.layers.indices {
                for b in 0..<batch {
                    trace += session.hiddenState(layer: l, stream: b) + (session.cellState(layer: l, stream: b) ?? [])
                }
            }
        }
        return trace
    }

    @Test(arguments: [ModelDescription.Cell.lstm, .gru, .rnnTanh, .rnnReLU], [KRUDType.bf16, .f16])
    func computesWhatTheWidenedModelComputes(cell: ModelDescription.Cell, dtype: KRUDType) throws {
        let original = try Self.model(cell, seed: UInt64(cell.gateCount))
        let narrowed = try KRUFile(bytes: ModelNarrowing(file: original, tensors: ["recurrent"], to: dtype).writer
            .encode())
        #expect(narrowed.tensors.filter { $0.dtype == dtype }.map(\.name) == ["layer.0.weight_hh", "layer.1.weight_hh"])
        let sixteenBit = try KRUModel(file: narrowed), oracle = try KRUModel(file: Self.widened(narrowed))
        // The two models really take the two paths.
        for (narrow, wide) in zip(sixteenBit.layers, oracle.layers) {
            guard case .sixteenBitDense(let m) = narrow.recurrence, m.dtype == dtype, case .dense = wide.recurrence
            else {
                Issue.record("recurrences \(narrow.recurrence) and \(wide.recurrence)")
                return
            }
        }
        for variant in KernelVariant.supported {
            for batch in [1, 2, 3, 8] {
                let got = try Self.trace(sixteenBit, batch: batch, steps: 25, variant: variant)
                let want = try Self.trace(oracle, batch: batch, steps: 25, variant: variant)
                #expect(got.count == want.count)
                let mismatches = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(mismatches == 0, "\(variant.name), batch \(batch)")
            }
        }
        let text = (0..<200).map { $0 * 7 % 11 }
        for streams in [1, 4] {
            #expect(try sixteenBit.score(tokens: text, streams: streams).meanNLL
                    == oracle.score(tokens: text, streams: streams).meanNLL)
        }
        // Session states saved with the widened model fit the 16-bit one: the weight fingerprint is the same.
        #expect(sixteenBit.fingerprint == oracle.fingerprint)
    }

    /// A 32-bit file keeps the float path.
    @Test func aThirtyTwoBitRecurrentMatrixStaysFloat() throws {
        let model = try KRUModel(file: Self.model(.lstm, seed: 3))
        for layer in model.layers {
            guard case .dense = layer.recurrence else { Issue.record("\(layer.recurrence)"); continue }
        }
    }
}
