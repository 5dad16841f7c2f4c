import KRUInference

/// A mini-batch of B sequences of T steps with their targets, stored time-major: step t of sequence b is row
/// `t·B + b` (the layout of the trainer's buffers, so a step of the whole batch is contiguous).
public struct SequenceBatch: Sendable {
    public enum Inputs: Sendable, Equatable {
        /// Token ids: `tokens[t·B + b]`.
        case tokens([Int])
        /// Real vectors: `values[(t·B + b)·width + d]`.
        case vectors([Double], width: Int)
    }

    public enum Targets: Sendable, Equatable {
        /// One class per step for a categorical head: `classes[t·B + b]` in `0..<K` (ignored at unscored steps).
        case classes([Int])
        /// K values per step: 0/1 events for a Bernoulli head (values in [0, 1] are allowed), or regression targets.
        /// `values[(t·B + b)·K + k]`.
        case values([Double])
    }

    /// T, the number of steps.
    public let length: Int
    /// B, the number of sequences.
    public let batchSize: Int
    public let inputs: Inputs
    public let targets: Targets
    /// Which steps count in the loss (the same for every sequence), `length` entries.
    public let scoredSteps: [Bool]
    /// Per-sequence lengths for batches of sequences of different lengths (e.g. chorales): sequence b's rows at
    /// steps t ≥ `lengths[b]` are padding and never scored. nil: every sequence runs all `length` steps.
    public let lengths: [Int]?

    /// - Precondition: the arrays have the sizes above.
    public init(length: Int, batchSize: Int, inputs: Inputs, targets: Targets, scoredSteps: [Bool],
                lengths: [Int]? = nil) {
        precondition(length >= 1 && batchSize >= 1, "a batch needs at least one step and one sequence")
        precondition(lengths.map { $0.count == batchSize && $0.allSatisfy { (0...length).contains($0) } } ?? true,
                     "lengths must give 0…\(length) steps for each of the \(batchSize) sequences")
        precondition(scoredSteps.count == length, "\(scoredSteps.count) scored-step flags for \(length) steps")
        let rows = length * batchSize
        switch inputs {
        case .tokens(let tokens): precondition(tokens.count == rows, "\(tokens.count) tokens for \(rows) rows")
        case .vectors(let values, let width):
            precondition(width >= 1 && values.count == rows * width,
                         "\(values.count) input values for \(rows) rows of width \(width)")
        }
        switch targets {
        case .classes(let classes): precondition(classes.count == rows, "\(classes.count) classes for \(rows) rows")
        case .values(let values): precondition(values.count % rows == 0,
                                               "\(values.count) target values for \(rows) rows")
        }
        self.length = length
        self.batchSize = batchSize
        self.inputs = inputs
        self.targets = targets
        self.scoredSteps = scoredSteps
        self.lengths = lengths
    }

    /// A batch scored at every step, or only at its last step, as a model's `kru.output.steps` says.
    public init(length: Int, batchSize: Int, inputs: Inputs, targets: Targets, steps: ModelDescription.OutputSteps,
                lengths: [Int]? = nil) {
        let scored = (0..<length).map { steps == .every || $0 == length - 1 }
        self.init(length: length, batchSize: batchSize, inputs: inputs, targets: targets, scoredSteps: scored,
                  lengths: lengths)
    }

    /// Steps `range` of every sequence: a chunk for truncated backpropagation through time.
    public func steps(_ range: Range<Int>) -> SequenceBatch {
        precondition(range.lowerBound >= 0 && range.upperBound <= length && !range.isEmpty,
                     "steps \(range) of \(length)")
        let rows = range.lowerBound * batchSize..<range.upperBound * batchSize
        let inputs: Inputs
        switch self.inputs {
        case .tokens(let tokens): inputs = .tokens(Array(tokens[rows]))
        case .vectors(let values, let width):
            inputs = .vectors(Array(values[rows.lowerBound * width..<rows.upperBound * width]), width: width)
        }
        let targets: Targets
        switch self.targets {
        case .classes(let classes): targets = .classes(Array(classes[rows]))
        case .values(let values):
            let k = values.count / (length * batchSize)
            targets = .values(Array(values[rows.lowerBound * k..<rows.upperBound * k]))
        }
        return SequenceBatch(length: range.count, batchSize: batchSize, inputs: inputs, targets: targets,
                             scoredSteps: Array(scoredSteps[range]),
                             lengths: lengths?.map { min(max($0 - range.lowerBound, 0), range.count) })
    }

    /// Whether row (step t, sequence b) counts in the loss.
    public func isScored(step t: Int, sequence b: Int) -> Bool { scoredSteps[t] && (lengths.map { t < $0[b] } ?? true) }

    /// The number of (step, sequence) pairs that count in the loss.
    public var scoredCount: Int {
        guard let lengths else { return scoredSteps.filter { $0 }.count * batchSize }
        return scoredSteps.indices.reduce(0) { total, t in
            total + (scoredSteps[t] ? lengths.filter { t < $0 }.count : 0)
        }
    }
}
