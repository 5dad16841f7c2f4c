import Foundation
import KRUInference

/// The copy memory problem (Hochreiter & Schmidhuber 1997; in the form of Arjovsky, Shah & Bengio 2016, used by
/// the KRU paper): remember 10 symbols over a delay of T steps and recall them in order after a delimiter.
///
/// Alphabet of 10 tokens: blank `_` (0), the data symbols `1`…`8` (1…8) and the delimiter `:` (9). A sequence has
/// T + 20 steps:
///
///     input:  x_0 … x_9, blank × (T − 1), delimiter, blank × 10
///     target: blank × (T + 10), x_0 … x_9
///
/// with x_i uniform over the 8 data symbols. The model outputs a distribution over the 10 tokens at every step.
///
/// **Units.** The literature reports the cross-entropy per time step averaged over all T + 20 steps, in bits: a
/// memoryless strategy (blank until the delimiter, then uniform over the 8 symbols) scores 10·log₂8/(T + 20),
/// e.g. 0.25 bits for T = 100 and 0.0294 for T = 1000 (docs/TRAINING.md, "Tasks").
public struct CopyMemoryTask: Sendable {
    /// T, the number of steps between the last data symbol and the delimiter, plus one.
    public let delay: Int
    /// Symbols to remember.
    public static let recallCount = 10
    public static let blank = 0
    public static let delimiter = 9
    public static let dataSymbols = 1...8
    /// `_12345678:`.
    public static let vocabulary: [Unicode.Scalar] = Array("_12345678:".unicodeScalars)

    public init(delay: Int) {
        precondition(delay >= 1, "the delay must be at least 1")
        self.delay = delay
    }

    /// T + 20.
    public var sequenceLength: Int { delay + 2 * Self.recallCount }

    /// The memoryless baseline 10·log₂(8)/(T + 20), in bits per step.
    public var baselineBits: Double { Double(Self.recallCount) * 3 / Double(sequenceLength) }

    /// Converts a cross-entropy in nats (the trainer's unit) to bits.
    public static func bits(fromNats nats: Double) -> Double { nats / log(2) }

    /// A model for the task: one-hot tokens in, a categorical output over the 10 tokens at every step.
    public func architecture(layers: [LayerArchitecture]) throws -> KRUArchitecture {
        try KRUArchitecture(input: .tokens(vocabulary: Self.vocabulary), layers: layers,
                            output: .init(kind: .categorical, width: Self.vocabulary.count, steps: .every))
    }

    /// `size` fresh sequences drawn from `random`.
    public func batch(size: Int, random: inout KRURandom) -> SequenceBatch {
        let length = sequenceLength, n = Self.recallCount
        var inputs = [Int](repeating: Self.blank, count: length * size)
        var targets = inputs
        for b in 0..<size {
            for i in 0..<n {
                let symbol = Self.dataSymbols.lowerBound + random.nextIndex(below: Self.dataSymbols.count)
                inputs[i * size + b] = symbol
                targets[(delay + n + i) * size + b] = symbol
            }
            inputs[(delay + n - 1) * size + b] = Self.delimiter
        }
        return SequenceBatch(length: length, batchSize: size, inputs: .tokens(inputs), targets: .classes(targets),
                             steps: .every)
    }

    /// The fraction of the recalled symbols (the last 10 steps) whose most likely output is the right symbol.
    public func recallAccuracy(_ outputs: NetworkOutputs, _ batch: SequenceBatch) -> Double {
        guard case .classes(let targets) = batch.targets else { return 0 }
        let k = Self.vocabulary.count, b = batch.batchSize
        var correct = 0
        for t in (sequenceLength - Self.recallCount)..<sequenceLength {
            for row in t * b..<(t + 1) * b {
                let y = outputs.values[row * k..<(row + 1) * k]
                if y.indices.max(by: { y[$0] < y[$1] })! - row * k == targets[row] { correct += 1 }
            }
        }
        return Double(correct) / Double(Self.recallCount * b)
    }
}
