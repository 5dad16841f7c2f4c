import Foundation
import KRUInference
import KRUTrain

/// Training speed on the character task: characters per second of truncated BPTT (forward, backward, penalty,
/// clipping, Adam) of `KRUTrainer` in single precision for a complex KRU, a dense tanh RNN, a dense LSTM and an LSTM
/// with Kronecker gate blocks, all N = 512, measured in interleaved rounds so all see the same machine load.
struct TrainingThroughput: Codable {
    let name: String
    let cell: String
    let hiddenSize: Int
    let recurrentParameters: Int
    let parameters: Int
    /// Streams × BPTT characters per update.
    let charactersPerUpdate: Int
    let threads: Int
    let precision: String
    let charactersPerSecond: Double
}

/// PyTorch's nn.LSTM on the same model, measured by tools/bench_torch_training.py right after kru's rows.
struct PeerTrainingThroughput: Codable {
    let name: String
    let torchVersion: String
    let threads: Int
    let charactersPerSecond: Double
}

struct TrainingThroughputBenchmark {
    /// The rows, in the order the checks read them.
    enum Model: Int, CaseIterable {
        case kru, denseTanh, kroneckerLSTM, denseLSTM

        func layer(hiddenSize n: Int) -> LayerArchitecture {
            switch self {
            case .kru:
                LayerArchitecture(squareFactors: Array(repeating: 2, count: n.trailingZeroBitCount),
                                  activation: .modReLU)
            case .denseTanh: LayerArchitecture(cell: .rnnTanh, hiddenSize: n, recurrence: .dense)
            case .kroneckerLSTM:
                // Two square factors as balanced as N allows (16 × 32 at N = 512), two terms per gate block.
                LayerArchitecture(cell: .lstm, hiddenSize: n,
                                  recurrence: .kronecker(factorShapes: [.init(square: 16), .init(square: n / 16)],
                                                         rank: 2))
            case .denseLSTM: LayerArchitecture(cell: .lstm, hiddenSize: n, recurrence: .dense)
            }
        }

        func name(hiddenSize n: Int) -> String {
            switch self {
            case .kru: "KRU, \(n.trailingZeroBitCount) complex 2×2 factors"
            case .denseTanh: "dense rnn_tanh"
            case .kroneckerLSTM: "LSTM, Kronecker 16×\(n / 16) gate blocks, rank 2"
            case .denseLSTM: "dense LSTM"
            }
        }
    }

    let policy: TimingPolicy
    let hiddenSize: Int
    let streams: Int
    let bptt: Int
    let threads: Int

    /// A 64-symbol character model (embedding 32) with one layer of the given kind: kru's `kru train --task charlm`
    /// setup.
    private func network(_ layer: LayerArchitecture, seed: UInt64) throws -> KRUNetwork {
        let vocabulary = (0..<64).map { Unicode.Scalar(UInt8(32 + $0)) }
        let architecture = try KRUArchitecture(input: .tokens(vocabulary: vocabulary, embeddingWidth: 32),
                                               layers: [layer],
                                               output: .init(kind: .categorical, width: 64, steps: .every))
        var random = KRURandom(seed: seed)
        return KRUNetwork(architecture: architecture, random: &random)
    }

    func run() throws -> [TrainingThroughput] {
        let models = Model.allCases
        var random = RandomData(seed: 2018_2380)
        let tokens = random.tokens(streams * bptt + 1, vocabularySize: 64)
        let batch = CharacterTask.batch(tokens: tokens, streams: streams, start: 0, length: bptt)
        let trainers = try models.map { model in
            KRUTrainer(network: try network(model.layer(hiddenSize: hiddenSize), seed: UInt64(model.rawValue + 1)),
                       optimizer: Adam(learningRate: 1e-4),
                       configuration: .init(unitaryPenalty: 0.01, clipNorm: 1, threads: threads, precision: .single))
        }
        // As `kru train` runs: the trainer's workers are the parallelism; the pass gives BLAS its threads itself.
        let timings = withOpenBLASThreads(1) {
            measureInterleaved(policy, trainers.map { trainer in
                { calls in for _ in 0..<calls { resultSink += trainer.train(on: batch).loss } }
            })
        }
        return models.map { model in
            let network = trainers[model.rawValue].network, layer = model.layer(hiddenSize: hiddenSize)
            return TrainingThroughput(
                name: model.name(hiddenSize: hiddenSize), cell: layer.cell.rawValue, hiddenSize: hiddenSize,
                recurrentParameters: layer.recurrentParameterCount, parameters: network.parameterCount,
                charactersPerUpdate: streams * bptt, threads: threads, precision: TrainingPrecision.single.rawValue,
                charactersPerSecond: Double(streams * bptt) / timings[model.rawValue].median)
        }
    }

    /// Runs tools/bench_torch_training.py with `python` (a venv with torch) on the same model. `python` is a path
    /// or a command name looked up on PATH (`--torch python3`), as a shell would.
    static func measurePyTorch(python: String, script: String, quick: Bool) throws -> PeerTrainingThroughput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, "--json", "--cells", "lstm", "--seconds", quick ? "1" : "3"]
        let output = Pipe()
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            throw BenchError("cannot run \(python) \(script): \(error.localizedDescription)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        struct Report: Decodable {
            struct Result: Decodable { let characters_per_second: Double }
            let torch: String
            let threads: Int
            let results: [Result]
        }
        guard process.terminationStatus == 0, let report = try? JSONDecoder().decode(Report.self, from: data),
              let lstm = report.results.first else {
            throw BenchError("\(python) \(script) failed (status \(process.terminationStatus))")
        }
        return PeerTrainingThroughput(name: "PyTorch nn.LSTM", torchVersion: report.torch, threads: report.threads,
                                      charactersPerSecond: lstm.characters_per_second)
    }
}
