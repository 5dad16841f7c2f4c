import Foundation
import KRUInference
import Testing
@testable import KRUTrain

struct OptimizerTests {
    @Test func adamFirstStepIsTheLearningRateTimesTheSign() {
        var adam = Adam(learningRate: 0.01)
        var parameters = [1.0, -2.0, 3.0]
        adam.update(&parameters, gradient: [0.5, -4.0, 1e-3])
        // m̂ = g and v̂ = g² after one bias-corrected step: Δ = −lr·g/(|g| + ε).
        #expect(abs(parameters[0] - 0.99) < 1e-9)
        #expect(abs(parameters[1] - -1.99) < 1e-9)
        #expect(abs(parameters[2] - 2.99) < 1e-7)
        #expect(adam.stepCount == 1)
    }

    /// Adam's SIMD blocks and scalar tail (37 entries: four vectors and five left), on 1, 2 and 3 threads, against
    /// Kingma & Ba's update written out here, over five steps: the same bits.
    @Test func adamIsTheScalarUpdateForEveryThreadCount() {
        var random = KRURandom(seed: 7101)
        let count = 37
        let start = (0..<count).map { _ in random.nextStandardNormalPair().0 }
        let gradients = (0..<5).map { _ in (0..<count).map { _ in random.nextStandardNormalPair().0 } }
        var expected = start, m = [Double](repeating: 0, count: count), v = m
        let (lr, b1, b2, eps) = (0.003, 0.9, 0.999, 1e-8)
        for (t, g) in gradients.enumerated() {
            let (c1, c2) = (1 - pow(b1, Double(t + 1)), 1 - pow(b2, Double(t + 1)))
            for i in 0..<count {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                expected[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
            }
        }
        for threads in 1...3 {
            var adam = Adam(learningRate: lr), parameters = start
            for g in gradients { adam.update(&parameters, gradient: g, threads: threads) }
            #expect(parameters == expected, "\(threads) threads")
            #expect(adam.stepCount == 5)
        }
    }

    @Test func rmspropFirstStep() {
        var rmsprop = RMSprop(learningRate: 0.01, decay: 0.9)
        var parameters = [1.0, -2.0]
        rmsprop.update(&parameters, gradient: [2.0, -0.5])
        // v = 0.1·g², Δ = −lr·g/√v = −lr·sign(g)/√0.1.
        let step = 0.01 / 0.1.squareRoot()
        #expect(abs(parameters[0] - (1 - step)) < 1e-8)
        #expect(abs(parameters[1] - (-2 + step)) < 1e-8)
    }

    @Test func clippingRescalesOnlyLongGradients() {
        var long = [3.0, 4.0]
        #expect(GradientClipping.clip(&long, maxNorm: 1) == 5)
        #expect(abs(long[0] - 0.6) < 1e-15 && abs(long[1] - 0.8) < 1e-15)
        var short = [0.3, 0.4]
        GradientClipping.clip(&short, maxNorm: 1)
        #expect(short == [0.3, 0.4])
    }

    /// Both optimizers drive the training loss of a small fixed batch down (every parameter kind moves).
    @Test(arguments: ["adam", "rmsprop"])
    func trainingReducesTheLoss(_ name: String) throws {
        let layer = LayerArchitecture(hiddenSize: 24, activation: .modReLU,
                                      factorShapes: TestNetworks.rectangularShapes, rank: 2)
        let architecture = try TestNetworks.architecture(input: .embedding, layers: [layer], output: .categorical)
        var random = KRURandom(seed: 101)
        let network = KRUNetwork(architecture: architecture, random: &random)
        let batch = TestNetworks.batch(architecture, length: 6, batchSize: 4, seed: 102)
        let optimizer: any Optimizer = name == "adam" ? Adam(learningRate: 1e-2) : RMSprop(learningRate: 1e-2)
        let trainer = KRUTrainer(network: network, optimizer: optimizer,
                                 configuration: .init(unitaryPenalty: 0.1, clipNorm: 5))
        let before = trainer.evaluate(batch)
        for _ in 0..<60 { trainer.train(on: batch) }
        let after = trainer.evaluate(batch)
        #expect(after < 0.5 * before, "\(name): \(before) → \(after)")
        for tensor in network.layout.tensors {
            #expect(trainer.network.parameters[tensor.range] != network.parameters[tensor.range],
                    "\(tensor.name) did not move")
        }
    }

    /// The penalty alone pulls random factors back to unitary.
    @Test func penaltyRestoresUnitarity() throws {
        let layer = LayerArchitecture(squareFactors: [2, 3, 2], activation: .splitTanh)
        let architecture = try TestNetworks.architecture(input: .vectors, layers: [layer], output: .regression)
        var network = TestNetworks.randomNetwork(architecture, seed: 111)
        var adam = Adam(learningRate: 1e-2)
        let start = UnitaryPenalty.value(of: network)
        for _ in 0..<500 {
            var gradient = [Double](repeating: 0, count: network.parameterCount)
            UnitaryPenalty.addGradient(of: network, strength: 1, to: &gradient)
            adam.update(&network.parameters, gradient: gradient)
        }
        #expect(start > 0.1)
        #expect(UnitaryPenalty.value(of: network) < 1e-6)
    }
}

/// The recurrent learning-rate scale is a per-tensor learning rate: after one Adam step from the same point, the
/// recurrent tensors moved `scale` times as far as without it and everything else moved exactly the same.
struct RecurrentLearningRateScaleTests {
    @Test(arguments: [0.0, 0.25])
    func recurrentStepsShrinkByTheScale(_ scale: Double) throws {
        let layer = LayerArchitecture(cell: .gru, hiddenSize: 24,
                                      recurrence: .kronecker(factorShapes: TestNetworks.rectangularShapes, rank: 1))
        let architecture = try TestNetworks.architecture(input: .vectors, layers: [layer], output: .regression)
        let network = TestNetworks.randomNetwork(architecture, seed: 111)
        let batch = TestNetworks.batch(architecture, length: 4, batchSize: 2, seed: 112)
        let plain = KRUTrainer(network: network, optimizer: Adam(learningRate: 0.01), configuration: .init(threads: 1))
        let scaled = KRUTrainer(network: network, optimizer: Adam(learningRate: 0.01),
                                configuration: .init(threads: 1, recurrentLearningRateScale: scale))
        plain.train(on: batch)
        scaled.train(on: batch)
        for tensor in network.layout.tensors {
            let recurrent = if case .recurrentFactor = tensor.role { true } else { false }
            for i in tensor.range {
                let full = plain.network.parameters[i] - network.parameters[i],
                    got = scaled.network.parameters[i] - network.parameters[i]
                #expect(abs(got - (recurrent ? scale : 1) * full) < 1e-15, "\(tensor.name)")
            }
        }
    }
}

/// Decoupled weight decay: after one Adam step from the same point, every weight matrix sits lr·wd·θ₀ below where
/// the undecayed step put it, and biases and Kronecker factors sit exactly where it put them.
struct WeightDecayTests {
    @Test func weightMatricesShrinkByLearningRateTimesDecay() throws {
        let kru = LayerArchitecture(hiddenSize: 24, activation: .modReLU,
                                    factorShapes: TestNetworks.rectangularShapes, rank: 1)
        let lstm = LayerArchitecture(cell: .lstm, hiddenSize: 8, recurrence: .dense)
        let architecture = try TestNetworks.architecture(input: .embedding, layers: [kru, lstm], output: .categorical)
        let network = TestNetworks.randomNetwork(architecture, seed: 113)
        let batch = TestNetworks.batch(architecture, length: 4, batchSize: 2, seed: 114)
        let (lr, decay) = (0.01, 0.5)
        let plain = KRUTrainer(network: network, optimizer: Adam(learningRate: lr), configuration: .init(threads: 1))
        let decayed = KRUTrainer(network: network, optimizer: Adam(learningRate: lr),
                                 configuration: .init(threads: 1, weightDecay: decay))
        plain.train(on: batch)
        decayed.train(on: batch)
        var roles = Set<String>()
        for tensor in network.layout.tensors {
            let isWeight = switch tensor.role {
            case .embedding, .inputWeight, .recurrentWeight, .readoutWeight: true
            default: false
            }
            if isWeight { roles.insert(tensor.name) }
            for i in tensor.range {
                let expected = plain.network.parameters[i] - (isWeight ? lr * decay * network.parameters[i] : 0)
                #expect(abs(decayed.network.parameters[i] - expected) < 1e-15, "\(tensor.name)")
            }
        }
        // The embedding, both input weights, the LSTM's dense recurrence and the readout were decayed.
        #expect(roles.count == 5, "\(roles.sorted())")
    }
}
