import KRUInference

/// Sequence classification, e.g. pixel-by-pixel MNIST: each example is T steps of D-wide real vectors and one
/// class, predicted by a categorical head after the last step.
///
/// Examples are stored as the `.npy` arrays `tools/data/*.py` write: inputs (count × T × D) and int64 labels.
public struct SequenceClassificationTask: Sendable {
    /// Every example's inputs, row-major count × T × D.
    public let inputs: [Float]
    public let labels: [Int]
    public let length: Int
    public let width: Int
    public let classCount: Int

    /// - Precondition: `inputs.count == labels.count · length · width`; labels in `0 ..< classCount`.
    public init(inputs: [Float], labels: [Int], length: Int, width: Int, classCount: Int) {
        precondition(length >= 1 && width >= 1 && !labels.isEmpty && inputs.count == labels.count * length * width,
                     "\(inputs.count) input values for \(labels.count) examples of \(length) × \(width)")
        precondition(labels.allSatisfy { (0..<classCount).contains($0) }, "a label is outside 0..<\(classCount)")
        self.inputs = inputs
        self.labels = labels
        self.length = length
        self.width = width
        self.classCount = classCount
    }

    public var count: Int { labels.count }

    /// A model for the task: vectors of width D in, `classCount` logits after the last step.
    public func architecture(layers: [LayerArchitecture]) throws -> KRUArchitecture {
        try KRUArchitecture(input: .vectors(width: width), layers: layers,
                            output: .init(kind: .categorical, width: classCount, steps: .last))
    }

    /// The examples at `indices` as one time-major batch.
    public func batch(_ indices: [Int]) -> SequenceBatch {
        let b = indices.count, d = width
        var values = [Double](repeating: 0, count: length * b * d)
        for (slot, example) in indices.enumerated() {
            for t in 0..<length {
                for c in 0..<d { values[(t * b + slot) * d + c] = Double(inputs[(example * length + t) * d + c]) }
            }
        }
        // Classes are read at the last step only; earlier rows repeat the label (ignored: the steps are unscored).
        let classes = (0..<length).flatMap { _ in indices.map { labels[$0] } }
        return SequenceBatch(length: length, batchSize: b, inputs: .vectors(values, width: d),
                             targets: .classes(classes), steps: .last)
    }

    /// `size` examples drawn uniformly with replacement.
    public func randomBatch(size: Int, random: inout KRURandom) -> SequenceBatch {
        batch((0..<size).map { _ in random.nextIndex(below: count) })
    }

    /// The mean cross-entropy (nats) and the accuracy of `network` over every example, in batches of `batchSize`.
    public func evaluate(_ network: KRUNetwork, batchSize: Int, threads: Int,
                         precision: TrainingPrecision = .double) -> (loss: Double, accuracy: Double) {
        var loss = 0.0, correct = 0
        let scratch = PassScratch()
        for start in stride(from: 0, to: count, by: batchSize) {
            let indices = Array(start..<min(start + batchSize, count))
            let outputs = network.outputs(for: batch(indices), from: nil, threads: threads, precision: precision,
                                          scratch: scratch).values
            let last = (length - 1) * indices.count * classCount
            for (slot, example) in indices.enumerated() {
                let logits = outputs[(last + slot * classCount)..<(last + (slot + 1) * classCount)]
                loss += SequenceLoss.crossEntropy(logits, target: labels[example])
                if logits.firstIndex(of: logits.max()!)! - logits.startIndex == labels[example] { correct += 1 }
            }
        }
        return (loss / Double(count), Double(correct) / Double(count))
    }
}
