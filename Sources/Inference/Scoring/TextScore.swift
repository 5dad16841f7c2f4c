import Foundation

/// How well a token model predicts a text: the statistics `kru score` reports.
public struct TextScore: Sendable, Equatable {
    /// Predicted tokens: every token after the first (the first has no context to be predicted from).
    public let tokenCount: Int
    /// Mean negative log-likelihood per token, in nats.
    public let meanNLL: Double
    /// Standard error of the mean NLL: s/√T with s the sample standard deviation of the per-token NLL. Per-token
    /// values are correlated, so treat it as a lower bound.
    public let standardError: Double
    /// Fraction of tokens whose most probable prediction was right.
    public let accuracy: Double

    public var bitsPerToken: Double { meanNLL / M_LN2 }
    public var perplexity: Double { exp(meanNLL) }
    /// perplexity·SE (first-order error propagation through exp).
    public var perplexityError: Double { perplexity * standardError }
}

/// Agreement between a model and a reference on the same text (the converter's dense-vs-factorized check).
public struct ModelComparison: Sendable, Equatable {
    public let tokenCount: Int
    /// Mean KL(reference ‖ model) per token, nats.
    public let meanKL: Double
    public let klStandardError: Double
    /// Fraction of steps whose most probable next token is the same in both models.
    public let topOneAgreement: Double
}

/// Accumulates per-token values for a mean and its standard error (Welford's algorithm: stable in one pass).
struct RunningMean {
    private(set) var count = 0
    private var mean = 0.0
    private var squares = 0.0

    mutating func add(_ x: Double) {
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        squares += delta * (x - mean)
    }

    var value: Double { mean }

    /// The statistics of both samples together (Chan, Golub & LeVeque's pairwise update); merging into an
    /// empty one gives the other exactly.
    func merged(with other: RunningMean) -> RunningMean {
        guard count > 0 else { return other }
        guard other.count > 0 else { return self }
        var result = RunningMean()
        result.count = count + other.count
        let delta = other.mean - mean
        result.mean = mean + delta * Double(other.count) / Double(result.count)
        result.squares = squares + other.squares
            + delta * delta * Double(count) * Double(other.count) / Double(result.count)
        return result
    }
    var standardError: Double {
        count > 1 ? (squares / Double(count - 1)).squareRoot() / Double(count).squareRoot() : 0
    }
}

/// log softmax(logits)[k], in Double with the maximum subtracted.
func logSoftmax(_ logits: UnsafeBufferPointer<Float>, at k: Int) -> Double {
    let top = Double(logits.max() ?? 0)
    var sum = 0.0
    for v in logits { sum += exp(Double(v) - top) }
    return Double(logits[k]) - top - log(sum)
}

/// The index of the largest value (the lowest index among ties).
func argmax(_ values: UnsafeBufferPointer<Float>) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}

extension KRUModel {
    /// Scores `tokens`: each token is predicted from those before it, and the first has no context.
    ///
    /// With `streams` = 1 (the default) the whole text runs through one stream from the zero state: the exact
    /// figure. With `streams` = B > 1 the text is cut into B contiguous pieces of ⌊T/B⌋ or ⌈T/B⌉ tokens (piece b
    /// starts at token ⌊b·T/B⌋), each scored from the zero state in its own stream of one batched session, so the
    /// recurrent products of B pieces run as one matrix product per step. The first token of every piece goes
    /// unpredicted and each piece starts without the context before it, so the result differs slightly from the
    /// single stream (it predicts T − B tokens instead of T − 1).
    /// - Parameters:
    ///   - tokens: the text's token ids.
    ///   - streams: the number of pieces scored side by side (1: the exact single stream).
    ///   - threads: threads that share each step's large dense products (``KRUModel/session(batchSize:threads:)``);
    ///     the score does not depend on it.
    ///   - progress: called as tokens are done with the number done (for progress lines).
    /// - Throws: ``GenerationError/notATextModel`` for a model without token input and a categorical output per
    ///   step, ``ModelInputError`` for an id outside the vocabulary or `streams` < 1.
    public func score(
        tokens: [Int], streams: Int = 1, threads: Int = 1, progress: ((Int) -> Void)? = nil
    ) throws -> TextScore {
        let vocabularySize = try textVocabularySize()
        guard streams >= 1 else { throw ModelInputError("the number of streams must be at least 1, not \(streams)") }
        if let bad = tokens.firstIndex(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw ModelInputError(
                "token id \(tokens[bad]) at position \(bad) is outside the vocabulary (0 ..< \(vocabularySize))")
        }
        let pieces = min(streams, max(tokens.count, 1))
        let starts = (0...pieces).map { $0 * tokens.count / pieces }
        let longest = (0..<pieces).map { starts[$0 + 1] - starts[$0] }.max() ?? 0
        let session = session(batchSize: pieces, threads: threads)
        var statistics = [RunningMean](repeating: RunningMean(), count: pieces)
        var correct = 0
        var column = [Int](repeating: 0, count: pieces)
        for t in 0..<longest {
            if t > 0 {
                session.withOutputs { all in
                    for b in 0..<pieces where starts[b] + t < starts[b + 1] {
                        let logits = UnsafeBufferPointer(rebasing: all[b * vocabularySize..<(b + 1) * vocabularySize])
                        let token = tokens[starts[b] + t]
                        statistics[b].add(-logSoftmax(logits, at: token))
                        if argmax(logits) == token { correct += 1 }
                    }
                }
            }
            // A piece that has ended is fed its last token again; its outputs are no longer read.
            for b in 0..<pieces { column[b] = tokens[min(starts[b] + t, starts[b + 1] - 1)] }
            try session.feed(tokens: column)
            progress?(min((t + 1) * pieces, tokens.count))
        }
        let nll = statistics.reduce(RunningMean()) { $0.merged(with: $1) }
        return TextScore(tokenCount: nll.count, meanNLL: nll.value, standardError: nll.standardError,
                         accuracy: nll.count > 0 ? Double(correct) / Double(nll.count) : 0)
    }

    /// KL(reference ‖ self) and top-1 agreement of the next-token distributions over `tokens`.
    /// - Throws: ``ModelInputError`` if the models do not share a vocabulary, ``GenerationError/notATextModel``
    ///   if either is not a categorical token model.
    public func compare(with reference: KRUModel, tokens: [Int]) throws -> ModelComparison {
        _ = try textVocabularySize()
        _ = try reference.textVocabularySize()
        guard reference.description.vocabulary == description.vocabulary else {
            throw ModelInputError("the models have different vocabularies")
        }
        let mine = session(), theirs = reference.session()
        var kl = RunningMean()
        var agree = 0
        for token in tokens {
            try mine.feed(token: token)
            try theirs.feed(token: token)
            mine.withOutputs { q in
                theirs.withOutputs { p in
                    kl.add(klDivergence(p, q))
                    if argmax(p) == argmax(q) { agree += 1 }
                }
            }
        }
        return ModelComparison(tokenCount: kl.count, meanKL: kl.value, klStandardError: kl.standardError,
                               topOneAgreement: kl.count > 0 ? Double(agree) / Double(kl.count) : 0)
    }
}

/// KL(softmax(p) ‖ softmax(q)) in nats, computed in Double.
func klDivergence(_ p: UnsafeBufferPointer<Float>, _ q: UnsafeBufferPointer<Float>) -> Double {
    let pMax = Double(p.max() ?? 0), qMax = Double(q.max() ?? 0)
    var pSum = 0.0, qSum = 0.0
    for i in p.indices {
        pSum += exp(Double(p[i]) - pMax)
        qSum += exp(Double(q[i]) - qMax)
    }
    let pLog = log(pSum), qLog = log(qSum)
    var total = 0.0
    for i in p.indices {
        let logP = Double(p[i]) - pMax - pLog
        let logQ = Double(q[i]) - qMax - qLog
        total += exp(logP) * (logP - logQ)
    }
    return max(total, 0)
}
