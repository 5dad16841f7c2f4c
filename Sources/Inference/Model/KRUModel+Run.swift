extension KRUModel {
    /// Runs `batch` token sequences of `steps` tokens each (row-major `batch × steps` ids) from the zero state,
    /// all streams at once, and returns the head's outputs: `batch × steps × K` values, or `batch × K` for a
    /// model whose output is at the last step only (logits for categorical heads).
    public func outputs(tokens: [Int], batch: Int, steps: Int) throws -> [Float] {
        guard let vocabulary = description.vocabulary else {
            throw ModelInputError("this model takes vectors, not tokens")
        }
        guard batch >= 1, steps >= 1, tokens.count == batch * steps else {
            throw ModelInputError("\(tokens.count) token ids do not form \(batch) sequences of \(steps) steps")
        }
        if let bad = tokens.firstIndex(where: { $0 < 0 || $0 >= vocabulary.count }) {
            throw ModelInputError("token id \(tokens[bad]) at position \(bad) is outside the vocabulary "
                                  + "(0 ..< \(vocabulary.count))")
        }
        var column = [Int](repeating: 0, count: batch)
        return collect(batch: batch, steps: steps) { session, t in
            for b in 0..<batch { column[b] = tokens[b * steps + t] }
            try! session.feed(tokens: column)  // every id was checked above
        }
    }

    /// Runs `batch` sequences of `steps` input vectors (row-major `batch × steps × width` values) from the zero
    /// state and returns the head's outputs as ``outputs(tokens:batch:steps:)`` does.
    public func outputs(vectors: [Float], batch: Int, steps: Int) throws -> [Float] {
        guard case .vectors(let width) = description.input else {
            throw ModelInputError("this model takes tokens, not vectors")
        }
        guard batch >= 1, steps >= 1, vectors.count == batch * steps * width else {
            throw ModelInputError("\(vectors.count) values do not form \(batch) sequences of \(steps) vectors "
                                  + "of width \(width)")
        }
        var column = [Float](repeating: 0, count: batch * width)
        return collect(batch: batch, steps: steps) { session, t in
            for b in 0..<batch {
                let source = (b * steps + t) * width
                for i in 0..<width { column[b * width + i] = vectors[source + i] }
            }
            try! session.feed(vectors: column)  // the width was checked above
        }
    }

    /// Feeds every step through one batched session and gathers the outputs in `batch × steps × K` order.
    private func collect(batch: Int, steps: Int, feed: (KRUSession, Int) -> Void) -> [Float] {
        let session = session(batchSize: batch)
        let k = description.outputWidth
        let everyStep = description.outputSteps == .every
        var result = [Float](repeating: 0, count: batch * (everyStep ? steps : 1) * k)
        for t in 0..<steps {
            feed(session, t)
            guard everyStep || t == steps - 1 else { continue }
            session.withOutputs { out in
                for b in 0..<batch {
                    let target = everyStep ? (b * steps + t) * k : b * k
                    for i in 0..<k { result[target + i] = out[b * k + i] }
                }
            }
        }
        return result
    }
}
