/// Draws the next token (character) index from a model's logits: temperature, then top-k, then top-p,
/// then one uniform mapped through the inverse CDF — the arithmetic of `spec/SAMPLING.md` §5, so a seed gives
/// the same text on every platform.
///
/// The sampler owns scratch space sized to the vocabulary, allocated once in
/// ``init(vocabularySize:temperature:topK:topP:)``; `sample(logits:using:)` allocates nothing. The settings are plain
/// properties and may change between calls.
public struct TokenSampler: Sendable {
    /// The number of logits every call must pass.
    public let vocabularySize: Int
    /// Divides the logits before the softmax. `T ≤ 0` means argmax (greedy); `+∞` means uniform over the
    /// finite logits. Must not be NaN.
    public var temperature: Double
    /// Keep only the `topK` largest logits (ties: lower index first). `≤ 0` or `≥ vocabularySize` is off.
    public var topK: Int
    /// Nucleus: keep the smallest prefix of the categories sorted by probability (ties: lower index first)
    /// whose mass is ≥ `topP`. `≥ 1` is off; `≤ 0` keeps only the most probable. Must not be NaN.
    public var topP: Double

    /// Softmax weights; zeroed for categories the filters remove.
    private var weights: [Double]
    /// Index buffer for the filters' heaps.
    private var order: [Int]

    /// - Precondition: `vocabularySize ≥ 1`; `temperature` and `topP` are not NaN.
    public init(vocabularySize: Int, temperature: Double = 1, topK: Int = 0, topP: Double = 1) {
        precondition(vocabularySize >= 1, "TokenSampler: the vocabulary must not be empty")
        precondition(!temperature.isNaN && !topP.isNaN, "TokenSampler: temperature and topP must not be NaN")
        self.vocabularySize = vocabularySize
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        weights = Array(repeating: 0, count: vocabularySize)
        order = Array(repeating: 0, count: vocabularySize)
    }

    /// True when the settings make every call an argmax.
    public var isGreedy: Bool { temperature <= 0 }

    /// Samples one index from `logits`, consuming exactly one ``KRURandom/nextDouble()`` — also when greedy,
    /// so the generator's position after n tokens never depends on the settings.
    public mutating func sample(logits: UnsafeBufferPointer<Float>, using generator: inout KRURandom) -> Int {
        sample(logits: logits, uniform: generator.nextDouble())
    }

    /// `sample(logits:using:)` for an array.
    public mutating func sample(logits: [Float], using generator: inout KRURandom) -> Int {
        logits.withUnsafeBufferPointer { sample(logits: $0, using: &generator) }
    }

    /// The deterministic core: the index chosen for the uniform `u` (spec §5). The spec's test vectors are
    /// stated in terms of this function.
    /// - Precondition: `logits.count == vocabularySize`, `0 ≤ u < 1`.
    public mutating func sample(logits: UnsafeBufferPointer<Float>, uniform u: Double) -> Int {
        precondition(logits.count == vocabularySize,
                     "TokenSampler: expected \(vocabularySize) logits, got \(logits.count)")
        precondition(u >= 0 && u < 1, "TokenSampler: the uniform must lie in [0, 1)")
        precondition(!temperature.isNaN && !topP.isNaN, "TokenSampler: temperature and topP must not be NaN")
        if isGreedy { return Self.argmax(logits) }
        let (t, k, p, n) = (temperature, topK, topP, vocabularySize)
        return weights.withUnsafeMutableBufferPointer { w in
            order.withUnsafeMutableBufferPointer { scratch in
                Self.computeWeights(logits, temperature: t, into: w)
                if k > 0 && k < n { Self.keepTopK(k, logits: logits, weights: w, scratch: scratch) }
                if p < 1 { Self.keepNucleus(p, weights: w, scratch: scratch) }
                return Self.invertCDF(w, at: u)
            }
        }
    }

    /// The index of the largest logit; ties go to the lowest index, NaN counts as −∞, and if no logit is
    /// larger than −∞ the answer is 0.
    /// - Precondition: `logits` is not empty.
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        precondition(!logits.isEmpty, "TokenSampler.argmax: no logits")
        var best = 0
        var bestValue = -Float.infinity
        for i in logits.indices where logits[i] > bestValue {  // NaN > x is false: NaN never wins
            best = i
            bestValue = logits[i]
        }
        return best
    }
}
