import KRUInference
import Testing
@testable import KRUTrain

struct TruncatedBPTTTests {
    /// Running a sequence in chunks, carrying the state, gives the outputs of one run over the whole sequence (to
    /// rounding: BLAS blocks a GEMM of fewer rows differently).
    @Test func carriedStateContinuesTheSequence() throws {
        let layer = LayerArchitecture(hiddenSize: 24, activation: .modReLU,
                                      factorShapes: TestNetworks.rectangularShapes, rank: 2)
        let architecture = try TestNetworks.architecture(input: .oneHot, layers: [layer, layer], output: .categorical)
        let network = TestNetworks.randomNetwork(architecture, seed: 121)
        let batch = TestNetworks.batch(architecture, length: 9, batchSize: 3, seed: 122)
        let whole = network.outputs(for: batch)
        var state: RecurrentState? = nil
        var pieces: [Double] = []
        for range in [0..<4, 4..<5, 5..<9] {
            let part = network.outputs(for: batch.steps(range), from: state)
            pieces += part.values
            state = part.finalState
        }
        func close(_ a: [Double], _ b: [Double]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) }
        }
        #expect(close(pieces, whole.values))
        for (mine, theirs) in zip(state!.layers, whole.finalState.layers) {
            #expect(close(mine.real, theirs.real) && close(mine.imaginary, theirs.imaginary))
        }
    }

    /// One update per chunk; chunks without a scored step (sequence classification) make none but carry the state.
    @Test func oneUpdatePerScoredChunk() throws {
        let task = AddingTask(length: 10)
        let layer = LayerArchitecture(squareFactors: [2, 3], activation: .splitReLU)
        var random = KRURandom(seed: 131)
        let network = KRUNetwork(architecture: try task.architecture(layers: [layer]), random: &random)
        let batch = task.batch(size: 4, random: &random)
        let chunked = KRUTrainer(network: network, optimizer: Adam(), configuration: .init(chunkLength: 3))
        let report = chunked.train(on: batch)
        #expect(report.updates == 1)
        #expect(report.finalState == network.outputs(for: batch).finalState)
        let copy = CopyMemoryTask(delay: 5)
        let copyNetwork = KRUNetwork(architecture: try copy.architecture(layers: [layer]), random: &random)
        let copyTrainer = KRUTrainer(network: copyNetwork, optimizer: Adam(), configuration: .init(chunkLength: 8))
        #expect(copyTrainer.train(on: copy.batch(size: 2, random: &random)).updates == 4)  // 25 steps → 8 + 8 + 8 + 1
    }

    /// With a window as long as the batch, truncated BPTT is plain BPTT: the same single update.
    @Test func fullWindowEqualsWholeBatch() throws {
        let layer = LayerArchitecture(hiddenSize: 6, activation: .splitTanh, factorShapes: TestNetworks.smallShapes)
        let architecture = try TestNetworks.architecture(input: .vectors, layers: [layer], output: .bernoulli)
        let network = TestNetworks.randomNetwork(architecture, seed: 141)
        let batch = TestNetworks.batch(architecture, length: 5, batchSize: 2, seed: 142)
        let a = KRUTrainer(network: network, optimizer: Adam(), configuration: .init(chunkLength: 5))
        let b = KRUTrainer(network: network, optimizer: Adam(), configuration: .init())
        a.train(on: batch)
        b.train(on: batch)
        #expect(a.network.parameters == b.network.parameters)
    }

    /// Buffers reused from a pool are fully overwritten before they are read: poisoning them with NaN changes nothing
    /// (both precisions, kru and real Kronecker and dense layers, with and without dropout).
    @Test(arguments: TrainingPrecision.allCases)
    func reusedBuffersNeverLeakStaleValues(_ precision: TrainingPrecision) throws {
        let kru = LayerArchitecture(hiddenSize: 24, activation: .modReLU, factorShapes: TestNetworks.rectangularShapes,
                                    rank: 2)
        let stacks = [[kru, kru], [TestNetworks.realLayers[5], TestNetworks.realLayers[6]]]
        for input in TestNetworks.InputKind.allCases {
            for (s, layers) in stacks.enumerated() {
                let architecture = try TestNetworks.architecture(input: input, layers: layers, output: .categorical)
                let network = TestNetworks.randomNetwork(architecture, seed: 151)
                let batch = TestNetworks.batch(architecture, length: 4, batchSize: 3, seed: 152)
                var random = KRURandom(seed: 153)
                let masks = DropoutMasks.draw(probability: 0.3, architecture: architecture, rows: 12, random: &random)
                for dropout in [nil, masks] {
                    let scratch = PassScratch()
                    let fresh = network.lossAndGradient(on: batch, from: nil, threads: 2, precision: precision,
                                                        dropout: dropout, scratch: scratch)
                    scratch.poisonFreeBuffers()
                    let reused = network.lossAndGradient(on: batch, from: nil, threads: 2, precision: precision,
                                                         dropout: dropout, scratch: scratch)
                    #expect(fresh.loss == reused.loss && fresh.gradient == reused.gradient,
                            "\(input), stack \(s), dropout \(dropout != nil)")
                }
            }
        }
    }
}
