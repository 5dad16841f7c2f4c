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
    var standardError: Double { count > 1 ? (squares / Double(count - 1)).squareRoot() / Double(count).squareRoot() : 0 }
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
    /// Scores `tokens` from the zero state: each token after the first is predicted from those before it.
    /// - Parameter progress: called after each token with the number done (for progress lines).
    public func score(tokens: [Int], progress: ((Int) -> Void)? = nil) -> TextScore {
        precondition(description.outputKind == .categorical && description.vocabulary != nil,
                     "scoring text needs a categorical token model")
        let session = session()
        var nll = RunningMean()
        var correct = 0
        for (t, token) in tokens.enumerated() {
            if t > 0 {
                session.withOutputs { logits in
                    nll.add(-logSoftmax(logits, at: token))
                    if argmax(logits) == token { correct += 1 }
                }
            }
            session.feed(token: token)
            progress?(t + 1)
        }
        return TextScore(tokenCount: nll.count, meanNLL: nll.value, standardError: nll.standardError,
                         accuracy: nll.count > 0 ? Double(correct) / Double(nll.count) : 0)
    }

    /// KL(reference ‖ self) and top-1 agreement of the next-token distributions over `tokens`.
    /// - Precondition: both are categorical token models with the same vocabulary.
    public func compare(with reference: KRUModel, tokens: [Int]) -> ModelComparison {
        precondition(reference.description.vocabulary == description.vocabulary, "models have different vocabularies")
        let mine = session(), theirs = reference.session()
        var kl = RunningMean()
        var agree = 0
        for token in tokens {
            mine.feed(token: token)
            theirs.feed(token: token)
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
