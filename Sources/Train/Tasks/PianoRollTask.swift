import Foundation
import KRUInference

/// Polyphonic music as piano rolls (the Bach chorales of `tools/data/chorales.py`): each piece is a sequence of
/// binary frames over K keys; the model reads frame t and predicts frame t + 1 with K independent Bernoulli
/// outputs. The metric is the negative log-likelihood per predicted frame in nats (Σ over keys), as in the
/// polyphonic-music literature.
public struct PianoRollTask: Sendable {
    /// Every piece's frames, concatenated: frame f is `rolls[f·K ..< (f + 1)·K]`, 0 or 1.
    public let rolls: [UInt8]
    /// Frames per piece, in order.
    public let lengths: [Int]
    public let keys: Int
    private let starts: [Int]

    /// - Precondition: `rolls.count == lengths.sum · keys`, every piece at least 2 frames.
    public init(rolls: [UInt8], lengths: [Int], keys: Int) {
        precondition(keys >= 1 && !lengths.isEmpty && lengths.allSatisfy { $0 >= 2 }, "pieces need at least two frames")
        precondition(rolls.count == lengths.reduce(0, +) * keys,
                     "\(rolls.count) roll values for \(lengths.reduce(0, +)) frames of \(keys) keys")
        self.rolls = rolls
        self.lengths = lengths
        self.keys = keys
        var starts: [Int] = [], position = 0
        for length in lengths {
            starts.append(position)
            position += length
        }
        self.starts = starts
    }

    public var count: Int { lengths.count }

    /// A model for the task: frames of K keys in, K Bernoulli logits out at every step.
    public func architecture(layers: [LayerArchitecture]) throws -> KRUArchitecture {
        try KRUArchitecture(input: .vectors(width: keys), layers: layers,
                            output: .init(kind: .bernoulli, width: keys, steps: .every))
    }

    /// The pieces at `indices` as one batch, padded to the longest; each piece of n frames gives n − 1 scored steps.
    public func batch(_ indices: [Int]) -> SequenceBatch {
        let b = indices.count, k = keys
        let steps = indices.map { lengths[$0] - 1 }
        let length = steps.max()!
        var inputs = [Double](repeating: 0, count: length * b * k), targets = inputs
        for (slot, piece) in indices.enumerated() {
            for t in 0..<steps[slot] {
                let frame = starts[piece] + t, row = t * b + slot
                for key in 0..<k {
                    inputs[row * k + key] = Double(rolls[frame * k + key])
                    targets[row * k + key] = Double(rolls[(frame + 1) * k + key])
                }
            }
        }
        return SequenceBatch(length: length, batchSize: b, inputs: .vectors(inputs, width: k),
                             targets: .values(targets),
                             steps: .every, lengths: steps)
    }

    /// `size` pieces drawn uniformly with replacement.
    public func randomBatch(size: Int, random: inout KRURandom) -> SequenceBatch {
        batch((0..<size).map { _ in random.nextIndex(below: count) })
    }

    /// The negative log-likelihood of `network` per predicted frame (nats), over every piece, in batches.
    public func frameNegativeLogLikelihood(of network: KRUNetwork, batchSize: Int, threads: Int,
                                           precision: TrainingPrecision = .double) -> Double {
        var sum = 0.0, frames = 0
        let scratch = PassScratch()
        for start in stride(from: 0, to: count, by: batchSize) {
            let batch = self.batch(Array(start..<min(start + batchSize, count)))
            // The mean over scored frames of Σ_keys BCE.
            let loss = network.loss(on: batch, from: nil, threads: threads, precision: precision, scratch: scratch)
            sum += loss * Double(batch.scoredCount)
            frames += batch.scoredCount
        }
        return sum / Double(frames)
    }
}
