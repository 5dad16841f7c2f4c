import Foundation

/// The model's log-probabilities at one generated token, for `logprobs`: those of the raw model distribution
/// (softmax of the logits, before temperature, top-k and top-p), as OpenAI's API reports them.
struct TokenLogProbabilities: Sendable {
    /// ln p(chosen token).
    let chosen: Double
    /// The `count` most probable characters with their ln p, most probable first (ties: lower id first).
    let top: [(text: String, logprob: Double)]

    /// - Parameters:
    ///   - count: alternatives to list (0 lists none).
    ///   - text: the character of a token id.
    init(logits: UnsafeBufferPointer<Float>, chosen token: Int, top count: Int, text: (Int) -> String) {
        // log softmax in Double with the largest logit subtracted, so nothing overflows. NaN logits (a broken
        // model) give NaN, reported as null.
        var largest = -Double.infinity
        for x in logits where Double(x) > largest { largest = Double(x) }
        var total = 0.0
        for x in logits { total += exp(Double(x) - largest) }
        let logTotal = largest + log(total)
        chosen = Double(logits[token]) - logTotal
        guard count > 0 else {
            top = []
            return
        }
        let ranked = logits.indices.sorted { a, b in
            logits[a] > logits[b] || (logits[a] == logits[b] && a < b)
        }
        top = ranked.prefix(count).map { (text($0), Double(logits[$0]) - logTotal) }
    }
}
