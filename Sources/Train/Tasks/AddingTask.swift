import KRUInference

/// The adding problem (Hochreiter & Schmidhuber 1997; in the form of Arjovsky, Shah & Bengio 2016): a sequence of
/// T two-component vectors (value, marker), values uniform in [0, 1), markers 0 except two 1s — one at a uniform
/// position in the first half, one in the second half. The target after the last step is the sum of the two
/// marked values.
///
/// Predicting the mean, 1, always scores the variance of a sum of two uniforms, 1/6 ≈ 0.167 (the baseline).
public struct AddingTask: Sendable {
    /// T, the sequence length.
    public let length: Int
    /// The mean squared error of always predicting 1.
    public static let baselineMeanSquaredError = 1.0 / 6.0

    public init(length: Int) {
        precondition(length >= 2, "the adding problem needs at least 2 steps")
        self.length = length
    }

    /// A model for the task: 2-wide vectors in, one regression output after the last step.
    public func architecture(layers: [LayerArchitecture]) throws -> KRUArchitecture {
        try KRUArchitecture(input: .vectors(width: 2), layers: layers,
                            output: .init(kind: .regression, width: 1, steps: .last))
    }

    /// `size` fresh sequences drawn from `random`.
    public func batch(size: Int, random: inout KRURandom) -> SequenceBatch {
        var inputs = [Double](repeating: 0, count: length * size * 2)
        var targets = [Double](repeating: 0, count: length * size)
        let half = length / 2
        for b in 0..<size {
            for t in 0..<length { inputs[(t * size + b) * 2] = random.nextDouble() }
            let first = random.nextIndex(below: half)
            let second = half + random.nextIndex(below: length - half)
            inputs[(first * size + b) * 2 + 1] = 1
            inputs[(second * size + b) * 2 + 1] = 1
            targets[(length - 1) * size + b] = inputs[(first * size + b) * 2] + inputs[(second * size + b) * 2]
        }
        return SequenceBatch(length: length, batchSize: size, inputs: .vectors(inputs, width: 2),
                             targets: .values(targets),
                             steps: .last)
    }
}
