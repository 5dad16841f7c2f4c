import KRUInference
import KRUTrain

/// Training speed on the character task: characters per second of truncated BPTT (forward, backward, penalty,
/// clipping, Adam) for a complex KRU and a dense tanh RNN of the same hidden size, measured in interleaved rounds
/// so both see the same machine load.
struct TrainingThroughput: Codable {
    let name: String
    let cell: String
    let hiddenSize: Int
    let recurrentParameters: Int
    let parameters: Int
    /// Streams × BPTT characters per update.
    let charactersPerUpdate: Int
    let threads: Int
    let charactersPerSecond: Double
}

struct TrainingThroughputBenchmark {
    let policy: TimingPolicy
    let hiddenSize: Int
    let streams: Int
    let bptt: Int
    let threads: Int

    /// A 64-symbol character model (embedding 32) with one layer of the given kind: kru's `kru train --task charlm`
    /// setup.
    private func network(_ layer: LayerArchitecture, seed: UInt64) throws -> KRUNetwork {
        let vocabulary = (0..<64).map { Unicode.Scalar(UInt8(32 + $0)) }
        let architecture = try KRUArchitecture(input: .tokens(vocabulary: vocabulary, embeddingWidth: 32), layers: [layer],
                                               output: .init(kind: .categorical, width: 64, steps: .every))
        var random = KRURandom(seed: seed)
        return KRUNetwork(architecture: architecture, random: &random)
    }

    func run() throws -> [TrainingThroughput] {
        let factors = hiddenSize.trailingZeroBitCount
        let layers: [(String, LayerArchitecture)] = [
            ("KRU, \(factors) complex 2×2 factors", LayerArchitecture(squareFactors: Array(repeating: 2, count: factors), activation: .modReLU)),
            ("dense rnn_tanh", LayerArchitecture(cell: .rnnTanh, hiddenSize: hiddenSize, recurrence: .dense)),
        ]
        var random = RandomData(seed: 2018_2380)
        let tokens = random.tokens(streams * bptt + 1, vocabularySize: 64)
        let batch = CharacterTask.batch(tokens: tokens, streams: streams, start: 0, length: bptt)
        let trainers = try layers.enumerated().map { i, entry in
            KRUTrainer(network: try network(entry.1, seed: UInt64(i + 1)), optimizer: Adam(learningRate: 1e-4),
                       configuration: .init(unitaryPenalty: 0.01, clipNorm: 1, threads: threads))
        }
        // As `kru train` runs: the trainer's workers are the parallelism, BLAS single-threaded inside them.
        let timings = withOpenBLASThreads(1) {
            measureInterleaved(policy, trainers.map { trainer in
                { calls in for _ in 0..<calls { resultSink += trainer.train(on: batch).loss } }
            })
        }
        return layers.indices.map { i in
            let network = trainers[i].network
            return TrainingThroughput(
                name: layers[i].0, cell: layers[i].1.cell.rawValue, hiddenSize: hiddenSize,
                recurrentParameters: layers[i].1.recurrentParameterCount, parameters: network.parameterCount,
                charactersPerUpdate: streams * bptt, threads: threads,
                charactersPerSecond: Double(streams * bptt) / timings[i].median)
        }
    }
}
