import CInferenceKernels

/// The sampler's arithmetic, one function per step of `spec/SAMPLING.md` §5, all on preallocated buffers.
extension TokenSampler {
    /// §5.3 — softmax weights in Double with max subtraction, unnormalised: w_i = exp((x_i − M) / T), M the
    /// largest logit, so the largest weight is exactly 1. NaN and −∞ logits get 0. If M = +∞ the +∞ logits
    /// share the mass equally (the limit of the softmax); if every logit is NaN or −∞ all are equally likely.
    static func computeWeights(
        _ logits: UnsafeBufferPointer<Float>, temperature: Double, into w: UnsafeMutableBufferPointer<Double>
    ) {
        var top = -Float.infinity
        for x in logits where x > top { top = x }  // NaN is never > top
        if top == .infinity {
            for i in logits.indices { w[i] = logits[i] == .infinity ? 1 : 0 }
        } else if top == -.infinity {
            for i in logits.indices { w[i] = 1 }
        } else {
            // w_i = exp((Double(x_i) − M) / T), 0 for NaN and −∞, eight at a time in the C kernel, which runs the
            // exponential of §5.1 operation for operation (SamplingTests checks it against `portableExp`).
            // Subtracting first, then dividing makes the largest logit give exactly 0, whatever T is.
            kru_softmax_weights(KernelVariant.widest.rawValue, logits.count, logits.baseAddress, Double(top),
                                temperature, w.baseAddress)
        }
    }

    /// §5.4 — zero the weights of all but the k largest logits (NaN as −∞; ties: lower index ranks first).
    /// Ranking the raw logits keeps the kept set independent of the temperature.
    static func keepTopK(
        _ k: Int, logits: UnsafeBufferPointer<Float>, weights w: UnsafeMutableBufferPointer<Double>,
        scratch: UnsafeMutableBufferPointer<Int>
    ) {
        let order = LogitOrder(logits: logits)
        for i in logits.indices { scratch[i] = i }
        var remaining = logits.count
        IndexHeap.build(scratch, count: remaining, order: order)
        for _ in 0..<k { _ = IndexHeap.popFirst(scratch, count: &remaining, order: order) }
        for j in 0..<remaining { w[scratch[j]] = 0 }
    }

    /// §5.5 — nucleus: walk the positive weights by descending weight (ties: lower index first), adding them
    /// up, and stop at the first whose running sum reaches p·S (S summed in index order); zero the rest.
    /// If rounding keeps the sum below p·S to the end, everything stays. At least one category always stays.
    static func keepNucleus(
        _ p: Double, weights w: UnsafeMutableBufferPointer<Double>, scratch: UnsafeMutableBufferPointer<Int>
    ) {
        var total = 0.0
        var candidates = 0
        for i in w.indices {
            total += w[i]
            if w[i] > 0 {
                scratch[candidates] = i
                candidates += 1
            }
        }
        let threshold = p * total
        let order = WeightOrder(weights: w)
        var remaining = candidates
        IndexHeap.build(scratch, count: remaining, order: order)
        var mass = 0.0
        while remaining > 0 {
            mass += w[IndexHeap.popFirst(scratch, count: &remaining, order: order)]
            if mass >= threshold { break }
        }
        for j in 0..<remaining { w[scratch[j]] = 0 }
    }

    /// §5.6 — inverse CDF in ascending index order: the first i with u·S < w_0 + … + w_i. Because the running
    /// sum repeats S's own additions, u·S < S whenever u < 1, so the fallback (the last kept index) is only
    /// defensive.
    static func invertCDF(_ w: UnsafeMutableBufferPointer<Double>, at u: Double) -> Int {
        var total = 0.0
        for v in w { total += v }
        let target = u * total
        var mass = 0.0
        var last = 0
        for i in w.indices where w[i] > 0 {
            mass += w[i]
            last = i
            if target < mass { return i }
        }
        return last
    }
}

/// Top-k's order: larger logit first (NaN as −∞), then lower index.
struct LogitOrder: IndexOrder {
    let logits: UnsafeBufferPointer<Float>

    func ranksBefore(_ a: Int, _ b: Int) -> Bool {
        let (x, y) = (key(a), key(b))
        return x > y || (x == y && a < b)
    }

    private func key(_ i: Int) -> Float { logits[i].isNaN ? -.infinity : logits[i] }
}

/// Top-p's order: larger weight (probability) first, then lower index.
struct WeightOrder: IndexOrder {
    let weights: UnsafeMutableBufferPointer<Double>

    func ranksBefore(_ a: Int, _ b: Int) -> Bool {
        weights[a] > weights[b] || (weights[a] == weights[b] && a < b)
    }
}
