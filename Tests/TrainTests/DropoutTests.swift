import KRUInference
import Testing
@testable import KRUTrain

/// Dropout between layers and before the readout: gradients of two-layer stacks with fixed masks against finite
/// differences, the masks' statistics, and that a pass with masks computes what its definition says.
struct DropoutTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let layers: [LayerArchitecture]
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let kru = LayerArchitecture(hiddenSize: 24, activation: .modReLU, factorShapes: TestNetworks.rectangularShapes,
                                    rank: 2)
        let small = LayerArchitecture(hiddenSize: 6, activation: .splitTanh, factorShapes: TestNetworks.smallShapes,
                                      rank: 1)
        return [
            Case(name: "kru under kru", layers: [kru, small]),
            Case(name: "lstm kronecker under gru dense",
                 layers: [TestNetworks.realLayers[5], TestNetworks.realLayers[6]]),
            Case(name: "gru kronecker under kru", layers: [TestNetworks.realLayers[7], small]),
        ]
    }()

    /// Two layers, p = 0.3, fixed masks: the analytic gradient (Double) against central finite differences.
    @Test(arguments: cases)
    func twoLayerGradientsWithFixedMasks(_ c: Case) throws {
        let architecture = try TestNetworks.architecture(input: .embedding, layers: c.layers, output: .categorical)
        let network = TestNetworks.randomNetwork(architecture, seed: 171)
        let batch = TestNetworks.batch(architecture, length: 4, batchSize: 3, seed: 172)
        var random = KRURandom(seed: 173)
        let masks = DropoutMasks.draw(probability: 0.3, architecture: architecture, rows: 12, random: &random)
        #expect(masks.keep.allSatisfy { $0.contains(0) && $0.contains(1) },
                "the masks drop some values and keep others")
        var checker = GradientCheck(network: network, batch: batch, state: TestNetworks.randomState(architecture,
            batchSize: 3, seed: 174),
                                    penalty: 0.05)
        checker.dropout = masks
        GradientCheckTests.check(checker, "\(c.name), dropout 0.3")
        // The masks matter: without them the loss differs.
        #expect(network.lossAndGradient(on: batch, dropout: masks).loss != network.loss(on: batch))
    }

    /// A mask of all ones scaled by 1/(1 − p) multiplies every layer output by that factor: the same as a network
    /// whose next layer's input weights (and the readout) are scaled — a closed-form check of where dropout acts.
    @Test func keptValuesAreScaledByOneOverOneMinusP() throws {
        let layer = TestNetworks.realLayers[4]  // dense LSTM
        let architecture = try TestNetworks.architecture(input: .vectors, layers: [layer], output: .regression)
        let network = TestNetworks.randomNetwork(architecture, seed: 175)
        let batch = TestNetworks.batch(architecture, length: 3, batchSize: 2, seed: 176)
        let p = 0.2
        let masks = DropoutMasks(probability: p, keep: [[UInt8](repeating: 1, count: 6 * layer.outputSize)])
        var scaled = network
        let readout = scaled.layout.tensor(for: .readoutWeight)!
        for i in readout.range { scaled.parameters[i] /= 1 - p }
        for precision in TrainingPrecision.allCases {
            let dropped = network.lossAndGradient(on: batch, precision: precision, dropout: masks).loss
            let reference = scaled.loss(on: batch, precision: precision)
            #expect(abs(dropped - reference) < 1e-5 * max(1, abs(reference)), "\(precision)")
        }
    }

    /// The drawn masks keep about 1 − p of the values, and the same seed draws the same masks.
    @Test func masksKeepOneMinusPAndAreSeeded() throws {
        let layer = LayerArchitecture(hiddenSize: 24, activation: .modReLU,
                                      factorShapes: TestNetworks.rectangularShapes)
        let architecture = try TestNetworks.architecture(input: .oneHot, layers: [layer, layer], output: .categorical)
        var a = KRURandom(seed: 5), b = KRURandom(seed: 5)
        let first = DropoutMasks.draw(probability: 0.25, architecture: architecture, rows: 1000, random: &a)
        #expect(first == DropoutMasks.draw(probability: 0.25, architecture: architecture, rows: 1000, random: &b))
        for flags in first.keep {
            let kept = Double(flags.reduce(0) { $0 + Int($1) }) / Double(flags.count)
            // 48,000 Bernoulli(0.75) draws: the standard deviation of the fraction is 0.002.
            #expect(abs(kept - 0.75) < 0.01, "kept \(kept)")
        }
    }
}
