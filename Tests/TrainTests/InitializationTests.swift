import KRUInference
import Testing
@testable import KRUTrain

struct InitializationTests {
    /// max |(MᴴM or MMᴴ) − I| for a P × Q matrix in split planes (the Gram matrix of the shorter side).
    static func isometryDefect(_ re: [Double], _ im: [Double], rows: Int, columns: Int) -> Double {
        let tall = rows >= columns
        let count = tall ? columns : rows, length = tall ? rows : columns
        func at(_ v: Int, _ k: Int) -> Int { tall ? k * columns + v : v * columns + k }
        var worst = 0.0
        for a in 0..<count {
            for b in 0..<count {
                var sr = 0.0, si = 0.0
                for k in 0..<length {
                    sr += re[at(a, k)] * re[at(b, k)] + im[at(a, k)] * im[at(b, k)]
                    si += re[at(a, k)] * im[at(b, k)] - im[at(a, k)] * re[at(b, k)]
                }
                worst = max(worst, abs(sr - (a == b ? 1 : 0)), abs(si))
            }
        }
        return worst
    }

    @Test(arguments: [(4, 4), (2, 2), (5, 3), (3, 5), (1, 4), (8, 8)])
    func randomFactorsAreUnitaryOrIsometric(_ shape: (Int, Int)) {
        var random = KRURandom(seed: 91)
        let (re, im) = RandomUnitary.make(rows: shape.0, columns: shape.1, random: &random)
        #expect(Self.isometryDefect(re, im, rows: shape.0, columns: shape.1) < 1e-14)
        // Complex, not secretly real.
        #expect(im.contains { abs($0) > 1e-3 })
    }

    @Test func square() {
        // For square factors the other Gram matrix is the identity too (unitary).
        var random = KRURandom(seed: 92)
        let (re, im) = RandomUnitary.make(rows: 4, columns: 4, random: &random)
        let transposedRe = (0..<16).map { re[($0 % 4) * 4 + $0 / 4] },
            transposedIm = (0..<16).map { im[($0 % 4) * 4 + $0 / 4] }
        #expect(Self.isometryDefect(transposedRe, transposedIm, rows: 4, columns: 4) < 1e-14)
    }

    @Test func unitaryInitialisationHasNoPenaltyAndIsReproducible() throws {
        let task = CopyMemoryTask(delay: 10)
        let layer = LayerArchitecture(squareFactors: [2, 4, 2], activation: .modReLU)
        let architecture = try task.architecture(layers: [layer])
        var a = KRURandom(seed: 5), b = KRURandom(seed: 5)
        let first = KRUNetwork(architecture: architecture, random: &a)
        let second = KRUNetwork(architecture: architecture, random: &b)
        #expect(first.parameters == second.parameters)
        #expect(UnitaryPenalty.value(of: first) < 1e-26)
        // U and V start small and Gaussian, biases at zero, β at the requested value.
        let bias = first.values(of: first.layout.tensor(named: "layer.0.bias")!)
        #expect(bias.real.allSatisfy { $0 == 0 } && bias.imaginary!.allSatisfy { $0 == 0 })
        let u = first.values(of: first.layout.tensor(named: "layer.0.weight_ih")!).real
        let deviation = (u.reduce(0) { $0 + $1 * $1 } / Double(u.count)).squareRoot()
        #expect(abs(deviation - (1 / 32.0).squareRoot()) < 0.05)
    }

    @Test func identityInitialisationCarriesTheState() throws {
        // Rectangular factors start as partial identities; with rank r, factor 0 of each term is scaled by 1/r.
        let layer = LayerArchitecture(hiddenSize: 24, activation: .splitTanh,
                                      factorShapes: TestNetworks.rectangularShapes, rank: 2)
        let architecture = try TestNetworks.architecture(input: .vectors, layers: [layer], output: .regression)
        var random = KRURandom(seed: 6)
        let rectangular = KRUNetwork(architecture: architecture, initialization: .init(factors: .identity),
                                     random: &random)
        #expect(rectangular.values(of: rectangular.layout.tensor(named: "layer.0.weight_hh.0.1.0")!).real
                    == [0.5, 0, 0, 0, 0.5, 0])

        // Square identity factors, rank 3: W = I. With zero inputs and zero bias z_t = h_{t−1}, and split ReLU keeps
        // a non-negative state unchanged.
        let square = try TestNetworks.architecture(
            input: .vectors, layers: [LayerArchitecture(squareFactors: [2, 3], activation: .splitReLU, rank: 3)],
            output: .regression)
        let network = KRUNetwork(architecture: square, initialization: .init(factors: .identity), random: &random)
        var state = TestNetworks.randomState(square, batchSize: 1, seed: 8)
        state.layers[0].real = state.layers[0].real.map(abs)
        state.layers[0].imaginary = state.layers[0].imaginary.map(abs)
        let batch = SequenceBatch(length: 3, batchSize: 1,
                                  inputs: .vectors([Double](repeating: 0, count: 12), width: 4),
                                  targets: .values([Double](repeating: 0, count: 9)), steps: .every)
        let after = network.outputs(for: batch, from: state).finalState
        for (x, y) in zip(after.layers[0].real + after.layers[0].imaginary,
                          state.layers[0].real + state.layers[0].imaginary) {
            #expect(abs(x - y) < 1e-14)
        }
    }
}
