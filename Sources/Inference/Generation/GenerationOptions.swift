/// Settings for generating tokens from a token model (spec/SAMPLING.md defines the arithmetic).
public struct GenerationOptions: Sendable, Equatable {
    /// Tokens to generate after the prime; nil for no limit (generation then ends at a stop sequence, or when
    /// the consumer stops asking for tokens).
    public var length: Int?
    /// Softmax temperature: 0 picks the most probable token every time; +∞ samples uniformly among the tokens
    /// with a finite logit. Must be 0 or more.
    public var temperature: Double
    /// Keep only the k most probable tokens; 0 = all.
    public var topK: Int
    /// Keep the smallest set of most probable tokens whose mass reaches p, p in (0, 1]; 1 = all.
    public var topP: Double
    /// The seed of the ``KRURandom`` stream: the same seed, model and settings give the same text everywhere.
    public var seed: UInt64
    /// Generation ends when the generated text ends with one of these; the stop sequence itself is not emitted.
    public var stop: [String]

    public init(length: Int? = 500, temperature: Double = 1, topK: Int = 0, topP: Double = 1, seed: UInt64,
                stop: [String] = []) {
        self.length = length
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.stop = stop
    }

    /// Checks every setting; generation calls it first.
    /// - Throws: ``GenerationError`` naming the first setting that is out of range.
    public func validate() throws(GenerationError) {
        if let length, length < 0 { throw .invalidLength(length) }
        guard temperature >= 0 else { throw .invalidTemperature(temperature) }  // also refuses NaN
        guard topK >= 0 else { throw .invalidTopK(topK) }
        guard topP > 0 && topP <= 1 else { throw .invalidTopP(topP) }  // also refuses NaN
        if stop.contains(where: \.isEmpty) { throw .emptyStopSequence }
    }
}
