import KRUInference

/// Whole-model speed of one token model: everything a step does (embedding, input product, recurrent product,
/// activation, readout) plus the sampler or the scorer's softmax.
struct ModelThroughput: Codable {
    let name: String
    let cell: String
    let hiddenSize: Int
    let recurrentParameters: Int
    let parameters: Int
    /// Tokens per timed call (one TokenStream of this length, or one score of this many tokens).
    let tokensPerCall: Int
    /// TokenStream: sample, feed back, repeat (temperature 1, no filters).
    let samplingTokensPerSecond: Double
    /// KRUModel.score(tokens:): feed, log-softmax of the true next token, argmax.
    let scoringTokensPerSecond: Double
}

/// Sampling and scoring speed of several models, measured in interleaved rounds so they are compared under the
/// same machine load.
struct ModelThroughputBenchmark {
    let policy: TimingPolicy
    let tokensPerCall: Int

    func run(_ models: [(name: String, model: KRUModel)]) -> [ModelThroughput] {
        var random = RandomData(seed: 1705_10142)
        let vocabularySize = models[0].model.description.outputWidth
        let tokens = random.tokens(tokensPerCall, vocabularySize: vocabularySize)
        let options = GenerationOptions(length: tokensPerCall, temperature: 1, seed: 42)
        let count = tokensPerCall
        let sampling = measureInterleaved(policy, models.map { entry in
            { calls in
                var checksum = 0
                for _ in 0..<calls {
                    for token in try! TokenStream(model: entry.model, prime: [], options: options) {
                        checksum &+= token
                    }
                }
                resultSink += Double(checksum)
            }
        })
        let scoring = measureInterleaved(policy, models.map { entry in
            { calls in
                for _ in 0..<calls { resultSink += try! entry.model.score(tokens: tokens).bitsPerToken }
            }
        })
        return models.indices.map { i in
            let model = models[i].model
            let layer = model.description.layers[0]
            return ModelThroughput(
                name: models[i].name, cell: layer.cell.rawValue, hiddenSize: layer.hiddenSize,
                recurrentParameters: model.recurrentParameterCount, parameters: model.parameterCount,
                tokensPerCall: count, samplingTokensPerSecond: Double(count) / sampling[i].median,
                scoringTokensPerSecond: Double(count) / scoring[i].median)
        }
    }
}
