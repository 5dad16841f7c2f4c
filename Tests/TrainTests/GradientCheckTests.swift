import KRUInference
import Testing
@testable import KRUTrain

/// The analytic gradients of BPTT (every parameter kind, Wirtinger convention for the complex ones) against
/// central finite differences of the loss in Double.
struct GradientCheckTests {
    static let tolerance = 1e-6

    struct Case: CustomTestStringConvertible, Sendable {
        let activation: ModelDescription.Activation
        let output: ModelDescription.OutputKind
        let input: TestNetworks.InputKind
        let steps: ModelDescription.OutputSteps
        var testDescription: String { "\(activation.rawValue) \(output.rawValue) \(input) \(steps.rawValue)" }
    }

    /// Every activation × every loss, cycling through the three input kinds and both output-step modes.
    static let cases: [Case] = ModelDescription.Activation.allCases.enumerated().flatMap { a, activation in
        ModelDescription.OutputKind.allCases.enumerated().map { o, output in
            let i = a * 3 + o
            return Case(activation: activation, output: output, input: TestNetworks.InputKind.allCases[i % 3],
                        steps: i % 4 == 3 ? .last : .every)
        }
    }

    /// One layer with rectangular factors, rank 2, a carried nonzero state, 5 steps, 3 sequences, the penalty on.
    @Test(arguments: cases)
    func oneLayer(_ c: Case) throws {
        let layer = LayerArchitecture(hiddenSize: 24, activation: c.activation,
                                      factorShapes: TestNetworks.rectangularShapes, rank: 2)
        let architecture = try TestNetworks.architecture(input: c.input, layers: [layer], output: c.output,
                                                         steps: c.steps)
        let network = TestNetworks.randomNetwork(architecture, seed: 11)
        let batch = TestNetworks.batch(architecture, length: 5, batchSize: 3, seed: 12)
        let state = TestNetworks.randomState(architecture, batchSize: 3, seed: 13)
        Self.check(GradientCheck(network: network, batch: batch, state: state, penalty: 0.05), c.testDescription)
    }

    /// Two layers of different activations (the lower one's [Re h; Im h] feeds the upper one), 4 steps.
    @Test(arguments: ModelDescription.Activation.allCases)
    func twoLayers(_ activation: ModelDescription.Activation) throws {
        let lower = LayerArchitecture(hiddenSize: 24, activation: activation,
                                      factorShapes: TestNetworks.rectangularShapes, rank: 1)
        let upperActivation = ModelDescription.Activation.allCases.first { $0 != activation }!
        let upper = LayerArchitecture(hiddenSize: 6, activation: upperActivation,
                                      factorShapes: TestNetworks.smallShapes, rank: 2)
        let architecture = try TestNetworks.architecture(input: .oneHot, layers: [lower, upper], output: .categorical)
        let network = TestNetworks.randomNetwork(architecture, seed: 21)
        let batch = TestNetworks.batch(architecture, length: 4, batchSize: 3, seed: 22)
        Self.check(GradientCheck(network: network, batch: batch,
                                 state: TestNetworks.randomState(architecture, batchSize: 3, seed: 23),
                            penalty: 0.05), "two layers, \(activation.rawValue) under \(upperActivation.rawValue)")
    }

    /// The soft unitary penalty alone: its gradient 4·W(WᴴW − I) against finite differences of R.
    @Test func unitaryPenaltyGradient() throws {
        let layer = LayerArchitecture(hiddenSize: 24, activation: .splitTanh,
                                      factorShapes: TestNetworks.rectangularShapes, rank: 2)
        let architecture = try TestNetworks.architecture(input: .vectors, layers: [layer], output: .regression)
        let network = TestNetworks.randomNetwork(architecture, seed: 31)
        var gradient = [Double](repeating: 0, count: network.parameterCount)
        let value = UnitaryPenalty.addGradient(of: network, strength: 1, to: &gradient)
        #expect(abs(value - UnitaryPenalty.value(of: network)) < 1e-12)
        var worst = 0.0, largest = 0.0
        for tensor in network.layout.tensors {
            guard case .recurrentFactor = tensor.role else {
                #expect(gradient[tensor.range].allSatisfy { $0 == 0 }, "\(tensor.name) has a penalty gradient")
                continue
            }
            for i in tensor.range {
                var plus = network, minus = network
                plus.parameters[i] += 1e-5
                minus.parameters[i] -= 1e-5
                let numeric = (UnitaryPenalty.value(of: plus) - UnitaryPenalty.value(of: minus)) / 2e-5
                worst = max(worst, abs(numeric - gradient[i]))
                largest = max(largest, abs(numeric))
            }
        }
        print("penalty gradient: relative error \(worst / largest) (|g|max \(largest))")
        #expect(worst / largest < Self.tolerance)
    }

    /// Splitting the batch over worker threads changes nothing but the order of a few sums.
    @Test func threadsAgree() throws {
        let layer = LayerArchitecture(hiddenSize: 24, activation: .modReLU,
                                      factorShapes: TestNetworks.rectangularShapes, rank: 2)
        let architecture = try TestNetworks.architecture(input: .oneHot, layers: [layer, layer], output: .categorical)
        let network = TestNetworks.randomNetwork(architecture, seed: 41)
        let batch = TestNetworks.batch(architecture, length: 6, batchSize: 5, seed: 42)
        let one = network.lossAndGradient(on: batch, threads: 1)
        let three = network.lossAndGradient(on: batch, threads: 3)
        #expect(abs(one.loss - three.loss) < 1e-13)
        let difference = zip(one.gradient, three.gradient).map { abs($0 - $1) }.max()!
        #expect(difference < 1e-12)
        #expect(one.finalState == three.finalState)
    }

    /// Runs the check and expects every tensor's gradient to be nonzero and within ``tolerance``.
    static func check(_ checker: GradientCheck, _ label: String) {
        let results = checker.run()
        let worst = results.map(\.relativeError).max()!
        print("gradient check [\(label)]: worst relative error \(worst)")
        for result in results {
            #expect(result.largestGradient > 0,
                    "\(label): \(result.name) has an all-zero gradient; the check would be vacuous")
            #expect(result.relativeError < Self.tolerance, "\(label): \(result)")
        }
    }
}
