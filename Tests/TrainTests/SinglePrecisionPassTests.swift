import KRUInference
import Testing
@testable import KRUTrain

/// The single-precision passes against the Double passes (the reference the gradient checks verify): the same loss,
/// gradient and final state to single-precision accuracy, for every cell, dense and Kronecker recurrences, one and
/// two layers, every input kind, a carried state, an odd batch split over two workers, with and without dropout.
struct SinglePrecisionPassTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let layers: [LayerArchitecture]
        let input: TestNetworks.InputKind
        let output: ModelDescription.OutputKind
        let steps: ModelDescription.OutputSteps
        var testDescription: String { "\(name), \(input), \(output.rawValue) \(steps.rawValue)" }
    }

    static let cases: [Case] = {
        let kru = ModelDescription.Activation.allCases.map {
            LayerArchitecture(hiddenSize: 24, activation: $0, factorShapes: TestNetworks.rectangularShapes, rank: 2)
        }
        var cases: [Case] = []
        for (i, layer) in (kru + TestNetworks.realLayers).enumerated() {
            let input = TestNetworks.InputKind.allCases[i % 3]
            let output = ModelDescription.OutputKind.allCases[i % 3]
            let recurrence = layer.recurrence == .dense ? "dense" : "kronecker"
            let name = layer.isComplex ? "kru \(layer.activation!.rawValue)" : "\(layer.cell.rawValue) \(recurrence)"
            cases.append(Case(name: name, layers: [layer], input: input, output: output,
                              steps: i % 4 == 3 ? .last : .every))
        }
        let small = LayerArchitecture(hiddenSize: 6, activation: .splitTanh, factorShapes: TestNetworks.smallShapes,
                                      rank: 2)
        cases.append(Case(name: "kru under kru", layers: [kru[0], small], input: .embedding, output: .categorical,
                          steps: .every))
        cases.append(Case(name: "lstm kronecker under gru dense",
                          layers: [TestNetworks.realLayers[5], TestNetworks.realLayers[6]],
                          input: .vectors, output: .bernoulli, steps: .every))
        cases.append(Case(name: "kru under lstm", layers: [TestNetworks.realLayers[4], kru[1]], input: .oneHot,
                          output: .categorical, steps: .every))
        return cases
    }()

    @Test(arguments: cases)
    func matchesTheDoublePass(_ c: Case) throws {
        let architecture = try TestNetworks.architecture(input: c.input, layers: c.layers, output: c.output,
                                                         steps: c.steps)
        let network = TestNetworks.randomNetwork(architecture, seed: 61)
        // 30 rows read an embedding through a per-token table; 3 rows (fewer than the 5 tokens) gather its rows.
        for (length, streams) in [(6, 5), (1, 3)] {
            try compare(network, length: length, streams: streams, c)
        }
    }

    private func compare(_ network: KRUNetwork, length: Int, streams: Int, _ c: Case) throws {
        let architecture = network.architecture
        let batch = TestNetworks.batch(architecture, length: length, batchSize: streams, seed: 62)
        let state = TestNetworks.randomState(architecture, batchSize: streams, seed: 63)
        var random = KRURandom(seed: 64)
        let masks = DropoutMasks.draw(probability: 0.25, architecture: architecture, rows: length * streams,
                                      random: &random)
        for dropout in [nil, masks] {
            let reference = network.lossAndGradient(on: batch, from: state, threads: 2, precision: .double,
                                                    dropout: dropout)
            let single = network.lossAndGradient(on: batch, from: state, threads: 2, precision: .single,
                                                 dropout: dropout)
            let label = "\(c.testDescription), \(length) × \(streams), dropout \(dropout != nil)"
            #expect(abs(single.loss - reference.loss) <= 1e-5 * max(abs(reference.loss), 1), "loss: \(label)")
            let difference = zip(single.gradient, reference.gradient).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            let size = reference.gradient.reduce(0) { $0 + $1 * $1 }
            #expect((difference / size).squareRoot() < 1e-4, "gradient: \(label): \((difference / size).squareRoot())")
            for (a, b) in zip(single.finalState.layers, reference.finalState.layers) {
                for (x, y) in zip(a.real + a.imaginary + a.cell, b.real + b.imaginary + b.cell) {
                    #expect(abs(x - y) < 1e-5, "final state: \(label)")
                }
            }
        }
    }
}
