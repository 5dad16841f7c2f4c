import Foundation
import KRUInference

/// Character-level language modelling on a UTF-8 text: predict the next Unicode scalar at every step.
///
/// The vocabulary is the sorted set of distinct scalars of the training text. Training cuts the token sequence
/// into B parallel streams of equal length (stream b starts at b·L); successive chunks of `bptt` steps continue
/// every stream where the previous chunk stopped, so the recurrent state can be carried from chunk to chunk
/// (truncated backpropagation through time).
public struct CharacterTask: Sendable {
    /// The token scalars: the sorted distinct scalars of the training text, or a model's vocabulary.
    public let vocabulary: [Unicode.Scalar]
    private let index: [Unicode.Scalar: Int]

    /// A task whose vocabulary is the distinct scalars of `text`.
    public init(trainingText text: String) {
        self.init(vocabulary: Array(Set(text.unicodeScalars)).sorted { $0.value < $1.value })
    }

    /// A task with a given vocabulary (e.g. the one of a model being fine-tuned); token i is `vocabulary[i]`.
    /// - Precondition: the scalars are distinct (as a model's vocabulary is).
    public init(vocabulary: [Unicode.Scalar]) {
        self.vocabulary = vocabulary
        index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
    }

    /// The token ids of `text`, or the first scalar the vocabulary lacks.
    public func encode(_ text: String) -> Result<[Int], UnknownCharacter> {
        var tokens: [Int] = []
        tokens.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            guard let id = index[scalar] else { return .failure(UnknownCharacter(scalar: scalar)) }
            tokens.append(id)
        }
        return .success(tokens)
    }

    public struct UnknownCharacter: Error, CustomStringConvertible {
        public let scalar: Unicode.Scalar
        public var description: String {
            "U+\(String(scalar.value, radix: 16, uppercase: true)) is not in the training text's vocabulary"
        }
    }

    /// A model for the task: tokens in (optionally through an embedding of `embeddingWidth`), a categorical output
    /// over the vocabulary at every step.
    public func architecture(layers: [LayerArchitecture], embeddingWidth: Int? = nil) throws -> KRUArchitecture {
        try KRUArchitecture(input: .tokens(vocabulary: vocabulary, embeddingWidth: embeddingWidth), layers: layers,
                            output: .init(kind: .categorical, width: vocabulary.count, steps: .every))
    }

    /// L, the steps per stream when `tokens` is cut into `streams` streams (each step needs a next token).
    public static func streamLength(tokenCount: Int, streams: Int) -> Int { max(0, (tokenCount - 1) / streams) }

    /// Steps `start ..< start + length` of each of `streams` streams of `tokens`: inputs are the tokens, targets
    /// the tokens after them.
    /// - Precondition: `start + length <= streamLength(tokenCount:streams:)`.
    public static func batch(tokens: [Int], streams: Int, start: Int, length: Int) -> SequenceBatch {
        let streamLength = Self.streamLength(tokenCount: tokens.count, streams: streams)
        precondition(length >= 1 && start >= 0 && start + length <= streamLength,
                     "chunk \(start)+\(length) of \(streamLength)")
        var inputs = [Int](repeating: 0, count: length * streams)
        var targets = inputs
        for t in 0..<length {
            for b in 0..<streams {
                let position = b * streamLength + start + t
                inputs[t * streams + b] = tokens[position]
                targets[t * streams + b] = tokens[position + 1]
            }
        }
        return SequenceBatch(length: length, batchSize: streams, inputs: .tokens(inputs), targets: .classes(targets),
                             steps: .every)
    }

    /// The cross-entropy of `network` on `tokens` in bits per character: the text is cut into `streams` streams
    /// and run in chunks of `chunk` steps, the state carried from chunk to chunk.
    public static func bitsPerCharacter(of network: KRUNetwork, tokens: [Int], streams: Int, chunk: Int,
                                        threads: Int, precision: TrainingPrecision = .double) -> Double {
        let streams = max(1, min(streams, tokens.count - 1))
        let length = streamLength(tokenCount: tokens.count, streams: streams)
        guard length > 0 else { return .nan }
        let k = network.architecture.output.width
        var state: RecurrentState?
        var sum = 0.0, count = 0
        let scratch = PassScratch()
        for start in stride(from: 0, to: length, by: chunk) {
            let batch = Self.batch(tokens: tokens, streams: streams, start: start, length: min(chunk, length - start))
            let outputs = network.outputs(for: batch, from: state, threads: threads, precision: precision,
                                          scratch: scratch)
            state = outputs.finalState
            guard case .classes(let targets) = batch.targets else { continue }
            for row in 0..<targets.count {
                sum += SequenceLoss.crossEntropy(outputs.values[row * k..<(row + 1) * k], target: targets[row])
                count += 1
            }
        }
        return sum / Double(count) / log(2)
    }
}
