import KRUFormat
import KRUInference
import Testing
@testable import KRUTrain

/// A trained network written as `.kru` runs unchanged in the engine (KRUModel/KRUSession, Float, its own
/// Kronecker kernels) and gives the trainer's outputs — the trainer's forward pass checked against an
/// independent implementation of spec/MODEL.md.
struct ExportTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let activation: ModelDescription.Activation
        let output: ModelDescription.OutputKind
        let input: TestNetworks.InputKind
        var testDescription: String { "\(activation.rawValue) \(output.rawValue) \(input)" }
    }

    static let cases: [Case] = ModelDescription.Activation.allCases.enumerated().flatMap { a, activation in
        ModelDescription.OutputKind.allCases.enumerated().map { o, output in
            Case(activation: activation, output: output, input: TestNetworks.InputKind.allCases[(a + o) % 3])
        }
    }

    @Test(arguments: cases)
    func engineMatchesTrainer(_ c: Case) throws {
        let lower = LayerArchitecture(hiddenSize: 24, activation: c.activation,
                                      factorShapes: TestNetworks.rectangularShapes, rank: 2)
        let upper = LayerArchitecture(hiddenSize: 6, activation: .splitTanh,
                                      factorShapes: TestNetworks.smallShapes, rank: 1)
        let architecture = try TestNetworks.architecture(input: c.input, layers: [lower, upper], output: c.output)
        try Self.compareWithEngine(architecture, seed: 51, label: c.testDescription)
    }

    /// The real cells, dense and Kronecker, each under a kru layer or over one (so both directions of a mixed stack
    /// run): the engine's PyTorch-checked cells give the trainer's outputs and final h (and c).
    @Test(arguments: TestNetworks.realLayers.indices)
    func engineMatchesTrainerOnRealCells(_ i: Int) throws {
        let real = TestNetworks.realLayers[i]
        let kru = LayerArchitecture(hiddenSize: 6, activation: .modReLU,
                                    factorShapes: TestNetworks.smallShapes, rank: 1)
        let layers = i % 2 == 0 ? [real, kru] : [kru, real]
        let output = ModelDescription.OutputKind.allCases[i % 3]
        let architecture = try TestNetworks.architecture(input: TestNetworks.InputKind.allCases[i % 3],
                                                         layers: layers, output: output)
        try Self.compareWithEngine(architecture, seed: 53 + UInt64(i),
                                   label: "\(real.cell.rawValue) \(real.recurrence == .dense ? "dense" : "kronecker")")
    }

    /// Runs `architecture` with random parameters for 7 steps of 3 streams in the trainer and, written as `.kru`, in
    /// the engine; expects outputs and final states to agree to single precision.
    static func compareWithEngine(_ architecture: KRUArchitecture, seed: UInt64, label: String) throws {
        let network = TestNetworks.randomNetwork(architecture, seed: seed)
        let (steps, streams) = (7, 3)
        let batch = TestNetworks.batch(architecture, length: steps, batchSize: streams, seed: seed + 100)
        let expected = network.outputs(for: batch)

        let model = try KRUModel(file: KRUFile(bytes: network.encodedModel()))
        #expect(model.parameterCount == network.parameterCount)
        let session = model.session(batchSize: streams)
        let k = architecture.output.width
        var worst: Double = 0
        for t in 0..<steps {
            switch batch.inputs {
            case .tokens(let tokens): try session.feed(tokens: Array(tokens[t * streams..<(t + 1) * streams]))
            case .vectors(let values, let width):
                try session.feed(vectors: values[t * streams * width..<(t + 1) * streams * width].map { Float($0) })
            }
            let got = session.outputValues()
            for i in 0..<streams * k {
                let want = expected.values[t * streams * k + i]
                worst = max(worst, abs(Double(got[i]) - want) / max(1, abs(want)))
            }
        }
        // Final states too: the engine's h ([Re h; Im h] for kru) and LSTM c against the trainer's carried state.
        for (l, layer) in architecture.layers.enumerated() {
            for b in 0..<streams {
                let got = session.hiddenState(layer: l, stream: b)
                let n = layer.hiddenSize, state = expected.finalState.layers[l]
                for i in 0..<n {
                    worst = max(worst, abs(Double(got[i]) - state.real[b * n + i]))
                    if layer.isComplex { worst = max(worst, abs(Double(got[n + i]) - state.imaginary[b * n + i])) }
                }
                if layer.cell == .lstm {
                    let cell = try #require(session.cellState(layer: l, stream: b))
                    for i in 0..<n { worst = max(worst, abs(Double(cell[i]) - state.cell[b * n + i])) }
                }
            }
        }
        print("engine vs trainer [\(label)]: worst error \(worst)")
        #expect(worst < 1e-4, "\(label)")
    }

    /// Real cells survive a double-precision export and import bit for bit (what `kru finetune` reads).
    @Test(arguments: TestNetworks.realLayers)
    func realCellsRoundTrip(_ layer: LayerArchitecture) throws {
        let architecture = try TestNetworks.architecture(input: .vectors, layers: [layer], output: .regression)
        let network = TestNetworks.randomNetwork(architecture, seed: 62)
        let back = try KRUNetwork(file: KRUFile(bytes: network.encodedModel(precision: .double)))
        #expect(back.architecture == network.architecture)
        #expect(back.parameters == network.parameters)
    }

    /// Double-precision export and import give back the parameters bit for bit; the metadata is the schema's.
    @Test func doublePrecisionRoundTrip() throws {
        let layer = LayerArchitecture(hiddenSize: 24, activation: .modReLU,
                                      factorShapes: TestNetworks.rectangularShapes, rank: 2)
        let architecture = try TestNetworks.architecture(input: .embedding, layers: [layer], output: .categorical)
        let network = TestNetworks.randomNetwork(architecture, seed: 61)
        let extra = [KRUMetadataEntry("general.name", .string("round trip")),
                     KRUMetadataEntry("kru.train.steps", .int(0))]
        let file = try KRUFile(bytes: network.encodedModel(precision: .double, metadata: extra))
        let back = try KRUNetwork(file: file)
        #expect(back.architecture == network.architecture)
        #expect(back.parameters == network.parameters)
        #expect(file.metadata("kru.layer.0.recurrent_rank") == .int(2))
        #expect(file.metadata("kru.layer.0.recurrent_factors") == .int(3))
        #expect(file.metadata("general.name") == .string("round trip"))
        #expect(file.tensorInfo(named: "layer.0.weight_hh.0.1.2")?.shape == [4, 2])
    }

    /// What the training commands write: Kronecker factors (complex for a kru layer, real for a Kronecker LSTM) in
    /// double precision, bit for bit; every other tensor in single precision, each value its nearest Float.
    @Test func trainedModelsKeepTheirFactorsInDoublePrecision() throws {
        let kru = LayerArchitecture(hiddenSize: 24, activation: .modReLU,
                                    factorShapes: TestNetworks.rectangularShapes, rank: 2)
        let lstm = try #require(TestNetworks.realLayers.first { $0.cell == .lstm && $0.recurrence != .dense })
        let architecture = try TestNetworks.architecture(input: .embedding, layers: [kru, lstm], output: .categorical)
        let network = TestNetworks.randomNetwork(architecture, seed: 63)
        let file = try KRUFile(bytes: network.encodedModel(precision: .doubleFactors))
        let back = try KRUNetwork(file: file)
        var factors = 0
        for tensor in network.layout.tensors {
            let dtype = try #require(file.tensorInfo(named: tensor.name)?.dtype)
            let stored = back.parameters[tensor.range], trained = network.parameters[tensor.range]
            if case .recurrentFactor = tensor.role {
                factors += 1
                #expect(dtype == (tensor.isComplex ? .complex128 : .f64), "\(tensor.name)")
                #expect(stored.elementsEqual(trained), "\(tensor.name)")
            } else {
                #expect(dtype == (tensor.isComplex ? .complex64 : .f32), "\(tensor.name)")
                #expect(stored.elementsEqual(trained.map { Double(Float($0)) }), "\(tensor.name)")
            }
        }
        #expect(factors > 6)
    }

    /// Writing to disk is atomic and the engine loads the file by path.
    @Test func writesAFileTheEngineLoads() throws {
        let layer = LayerArchitecture(squareFactors: [2, 2, 2], activation: .splitReLU)
        let architecture = try CopyMemoryTask(delay: 5).architecture(layers: [layer])
        var random = KRURandom(seed: 71)
        let network = KRUNetwork(architecture: architecture, random: &random)
        let path = FileManagerPaths.temporaryFile(named: "export-test.kru")
        try network.write(toPath: path)
        let model = try KRUModel(path: path)
        #expect(model.description.vocabulary?.characters == CopyMemoryTask.vocabulary)
        #expect(model.recurrentParameterCount == layer.recurrentParameterCount)
    }
}
