import KRUInference
import Testing
@testable import KRUTrain

/// BPTT through PyTorch's real cells (RNN tanh/ReLU, LSTM, GRU), dense and Kronecker, against central finite
/// differences of the loss (+ the orthogonality penalty on real factors) in Double.
struct RealCellGradientTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let layer: LayerArchitecture
        let output: ModelDescription.OutputKind
        let input: TestNetworks.InputKind
        var testDescription: String {
            "\(layer.cell.rawValue) \(layer.recurrence == .dense ? "dense" : "kronecker") \(output.rawValue) \(input)"
        }
    }

    /// Every real cell × {dense, Kronecker}, cycling through the losses and input kinds.
    static let cases: [Case] = TestNetworks.realLayers.enumerated().map { i, layer in
        Case(layer: layer, output: ModelDescription.OutputKind.allCases[i % 3],
             input: TestNetworks.InputKind.allCases[(i / 2) % 3])
    }

    @Test(arguments: cases)
    func oneLayer(_ c: Case) throws {
        let architecture = try TestNetworks.architecture(input: c.input, layers: [c.layer], output: c.output)
        let network = TestNetworks.randomNetwork(architecture, seed: 81)
        let batch = TestNetworks.batch(architecture, length: 5, batchSize: 3, seed: 82)
        let state = TestNetworks.randomState(architecture, batchSize: 3, seed: 83)
        GradientCheckTests.check(GradientCheck(network: network, batch: batch, state: state, penalty: 0.05),
                                 c.testDescription)
    }

    /// Without biases (PyTorch's bias=False): the layout has no bias_ih/bias_hh and the rest still checks.
    @Test(arguments: [ModelDescription.Cell.rnnTanh, .lstm, .gru])
    func withoutBiases(_ cell: ModelDescription.Cell) throws {
        let layer = LayerArchitecture(cell: cell, hiddenSize: 6,
                                      recurrence: .kronecker(factorShapes: TestNetworks.smallShapes, rank: 1),
                                      hasBias: false)
        let architecture = try TestNetworks.architecture(input: .vectors, layers: [layer], output: .regression)
        let network = TestNetworks.randomNetwork(architecture, seed: 84)
        #expect(network.layout.tensor(named: "layer.0.bias_ih") == nil)
        let batch = TestNetworks.batch(architecture, length: 4, batchSize: 2, seed: 85)
        GradientCheckTests.check(GradientCheck(network: network, batch: batch, state: nil, penalty: 0),
                                 "\(cell.rawValue) without biases")
    }

    /// Mixed stacks: a kru layer's [Re h; Im h] feeding an LSTM, and a GRU's h feeding a kru layer.
    @Test func mixedStacks() throws {
        let kru = LayerArchitecture(hiddenSize: 6, activation: .modReLU,
                                    factorShapes: TestNetworks.smallShapes, rank: 1)
        let lstm = LayerArchitecture(cell: .lstm, hiddenSize: 24,
                                     recurrence: .kronecker(factorShapes: TestNetworks.rectangularShapes, rank: 1))
        let gru = LayerArchitecture(cell: .gru, hiddenSize: 5, recurrence: .dense)
        for (name, layers) in [("kru under lstm", [kru, lstm]), ("gru under kru", [gru, kru])] {
            let architecture = try TestNetworks.architecture(input: .embedding, layers: layers, output: .categorical)
            let network = TestNetworks.randomNetwork(architecture, seed: 86)
            let batch = TestNetworks.batch(architecture, length: 4, batchSize: 3, seed: 87)
            let state = TestNetworks.randomState(architecture, batchSize: 3, seed: 88)
            GradientCheckTests.check(GradientCheck(network: network, batch: batch, state: state, penalty: 0.05), name)
        }
    }

    /// Splitting the streams over workers changes only rounding: the order of a few sums, and for a dense recurrence
    /// BLAS's blocking, which depends on how many rows each worker's GEMM has.
    @Test(arguments: TestNetworks.realLayers)
    func threadsAgree(_ layer: LayerArchitecture) throws {
        let architecture = try TestNetworks.architecture(input: .oneHot, layers: [layer], output: .categorical)
        let network = TestNetworks.randomNetwork(architecture, seed: 89)
        let batch = TestNetworks.batch(architecture, length: 6, batchSize: 5, seed: 90)
        let one = network.lossAndGradient(on: batch, threads: 1)
        let three = network.lossAndGradient(on: batch, threads: 3)
        #expect(abs(one.loss - three.loss) < 1e-13)
        #expect(zip(one.gradient, three.gradient).map { abs($0 - $1) }.max()! < 1e-12)
        let states = zip(one.finalState.layers, three.finalState.layers).flatMap { a, b in
            zip(a.real + a.cell, b.real + b.cell).map { abs($0 - $1) }
        }
        #expect(states.max()! < 1e-12)
    }
}
