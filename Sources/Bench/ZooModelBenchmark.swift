import Foundation
import KRUFormat
import KRUInference

/// Section 5: real model files (`--model PATH`, repeatable), measured in interleaved rounds so they are compared
/// under the same load. For each: sampling one token at a time (the full step: input, recurrence, activation,
/// readout, softmax, sample), scoring a text in one exact stream and as parallel streams, and generating several
/// samples at once in one batched session. Models with a dense product large enough to share between threads are also
/// sampled and scored (one exact stream) with ``sharedThreads`` threads.
struct ZooModelResult: Codable {
    let path: String
    let name: String
    let cell: String
    let hiddenSize: Int
    /// "dense" ("dense, bf16" when the file stores the matrix at 16 bits), or the Kronecker terms' factor shapes
    /// ("rank 4 × 8x8 ⊗ 16x16").
    let recurrence: String
    let parameters: Int
    /// `general.source` of a converted model (the file it was converted from), if any.
    let source: String?
    let samplingTokensPerSecond: Double
    let scoringTokensPerSecond: Double
    let parallelScoringTokensPerSecond: Double
    let batchedSamplingTokensPerSecond: Double
    /// Sampling and exact scoring with ``ZooModelBenchmark/sharedThreads`` threads sharing the large dense products,
    /// for models that have one (nil otherwise: they run on one thread whatever they are given).
    let sharedThreads: Int?
    let sharedSamplingTokensPerSecond: Double?
    let sharedScoringTokensPerSecond: Double?
    /// For a dense recurrent matrix: kru's product with it against OpenBLAS's sgemv on one thread.
    let gateMatvec: GateMatvecResult?
}

struct ZooModelBenchmark {
    let policy: TimingPolicy
    /// Tokens per timed sampling call and per scoring call.
    let tokensPerCall: Int
    /// Streams for parallel scoring and batched sampling.
    static let streams = 16
    /// Threads for the shared rows: the machine's cores.
    static let sharedThreads = ProcessInfo.processInfo.activeProcessorCount

    func run(paths: [String]) throws -> [ZooModelResult] {
        let models = try paths.map { path -> KRUModel in
            let model = try KRUModel(path: path)
            guard model.tokenizer != nil, model.description.outputKind == .categorical else {
                throw BenchError("\(path) is not a token model with a categorical head")
            }
            return model
        }
        let options = GenerationOptions(length: tokensPerCall, temperature: 1, seed: 42)
        let batchedOptions = GenerationOptions(length: max(tokensPerCall / Self.streams, 1), temperature: 1, seed: 42)
        let texts = models.map { model in
            var random = RandomData(seed: 2018)
            return random.tokens(tokensPerCall * 4, vocabularySize: model.description.outputWidth)
        }
        // The models whose large products are shared with more threads; their shared runs are interleaved with
        // the one-thread runs of every model, so both see the same load.
        let shared = models.indices.filter { models[$0].session(threads: Self.sharedThreads).threadCount > 1 }
        let runs = models.indices.map { ($0, 1) } + shared.map { ($0, Self.sharedThreads) }
        progress("zoo models: sampling")
        let sampling = measureInterleaved(policy, runs.map { i, threads in
            { calls in
                var checksum = 0
                for _ in 0..<calls {
                    for token in try! TokenStream(model: models[i], prime: [], options: options, threads: threads) {
                        checksum &+= token
                    }
                }
                resultSink += Double(checksum)
            }
        })
        progress("zoo models: scoring")
        let scoring = measureInterleaved(policy, runs.map { i, threads in
            { calls in
                for _ in 0..<calls { resultSink += try! models[i].score(tokens: texts[i], threads: threads).meanNLL }
            }
        })
        let parallelScoring = measureInterleaved(policy, models.indices.map { i in
            { calls in
                for _ in 0..<calls {
                    resultSink += try! models[i].score(tokens: texts[i], streams: Self.streams).meanNLL
                }
            }
        })
        progress("zoo models: batched sampling")
        let batched = measureInterleaved(policy, models.map { model in
            { calls in
                var checksum = 0
                for _ in 0..<calls {
                    for step in try! BatchedTokenStream(model: model, prime: [], options: batchedOptions,
                                                        count: Self.streams) {
                        checksum &+= step[0]
                    }
                }
                resultSink += Double(checksum)
            }
        })
        progress("zoo models: gate products against sgemv")
        return try paths.indices.map { i in
            let model = models[i], layer = model.description.layers[0]
            let file = try KRUFile(path: paths[i])
            let textLength = Double(texts[i].count)
            let sharedRun = shared.firstIndex(of: i).map { models.count + $0 }
            return ZooModelResult(
                path: paths[i], name: URL(fileURLWithPath: paths[i]).deletingPathExtension().lastPathComponent,
                cell: layer.cell.rawValue, hiddenSize: layer.hiddenSize, recurrence: Self.recurrence(of: file),
                parameters: model.parameterCount, source: Self.string(model.metadata("general.source")),
                samplingTokensPerSecond: Double(tokensPerCall) / sampling[i].median,
                scoringTokensPerSecond: textLength / scoring[i].median,
                parallelScoringTokensPerSecond: textLength / parallelScoring[i].median,
                batchedSamplingTokensPerSecond: Double(batchedOptions.length! * Self.streams) / batched[i].median,
                sharedThreads: sharedRun.map { _ in Self.sharedThreads },
                sharedSamplingTokensPerSecond: sharedRun.map { Double(tokensPerCall) / sampling[$0].median },
                sharedScoringTokensPerSecond: sharedRun.map { textLength / scoring[$0].median },
                gateMatvec: try GateMatvecBenchmark.run(file: file, policy: policy))
        }
    }

    private static func string(_ value: KRUMetadataValue?) -> String? {
        if case .string(let s) = value { s } else { nil }
    }

    /// How the first layer's recurrent matrix is stored, from the file's metadata and factor shapes.
    private static func recurrence(of file: KRUFile) -> String {
        guard case .string("kronecker") = file.metadata("kru.layer.0.recurrent"),
              case .int(let rank) = file.metadata("kru.layer.0.recurrent_rank"),
              case .int(let factors) = file.metadata("kru.layer.0.recurrent_factors") else {
            guard let dtype = file.tensorInfo(named: "layer.0.weight_hh")?.dtype, [.bf16, .f16].contains(dtype) else {
                return "dense"
            }
            return "dense, \(dtype)"
        }
        let shapes = (0..<factors).map { f -> String in
            let shape = file.tensorInfo(named: "layer.0.weight_hh.0.0.\(f)")?.shape ?? []
            return shape.map(String.init).joined(separator: "x")
        }
        let product = shapes.count > 4 ? "\(shapes.count) factors \(shapes[0])" : shapes.joined(separator: " ⊗ ")
        return rank > 1 ? "Kronecker, rank \(rank), \(product)" : "Kronecker, \(product)"
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
