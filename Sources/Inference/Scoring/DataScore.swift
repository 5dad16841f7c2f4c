import Foundation

/// How well a model fits labelled data: the loss of its head and, for categorical and Bernoulli heads, the
/// accuracy. What `kru score MODEL --inputs X --targets Y` reports.
public struct DataScore: Sendable, Equatable {
    /// Predictions scored: sequences (last-step heads), steps (categorical per step), or single outputs
    /// (Bernoulli and regression: every k of every scored step).
    public let count: Int
    /// Mean loss: cross-entropy in nats (categorical), binary cross-entropy in nats per output (Bernoulli),
    /// squared error per output (regression).
    public let meanLoss: Double
    public let lossStandardError: Double
    /// Fraction of correct predictions (argmax for categorical, p > 0.5 for Bernoulli); nil for regression.
    public let accuracy: Double?
    /// Bernoulli heads: the negative log-likelihood of a whole scored step (Σ over the K outputs), in nats — the
    /// per-frame NLL of the polyphonic-music literature — with its standard error over steps. nil otherwise.
    public let meanStepLoss: Double?
    public let stepLossStandardError: Double?
}

extension KRUModel {
    /// Scores the head's outputs (as ``outputs(tokens:batch:steps:)`` or ``outputs(vectors:batch:steps:)``
    /// return them: `batch × steps × K`, or `batch × K` for last-step models) against `targets`:
    /// - categorical: one class id per scored prediction (`batch × steps`, or `batch` for last-step models);
    /// - Bernoulli: 0/1 per output (same shape as the outputs);
    /// - regression: one value per output (same shape as the outputs).
    ///
    /// With `lengths` (per-step models only, one per sequence) the sequences are padded to a common length and
    /// sequence b is scored at its first `lengths[b]` steps only.
    public func score(outputs: [Float], targets: [Double], lengths: [Int]? = nil) throws -> DataScore {
        let k = description.outputWidth
        var loss = RunningMean(), stepLoss = RunningMean()
        var correct = 0, judged = 0
        // Which prediction rows (of K outputs) count: all, or each sequence's first lengths[b] steps.
        var scoredRows: [Bool]? = nil
        if let lengths {
            guard description.outputSteps == .every else {
                throw ModelInputError("lengths apply to models with an output at every step")
            }
            let rows = outputs.count / k
            guard !lengths.isEmpty, rows % lengths.count == 0 else {
                throw ModelInputError("\(lengths.count) lengths for \(rows) predictions")
            }
            let steps = rows / lengths.count
            guard lengths.allSatisfy({ (0...steps).contains($0) }) else {
                throw ModelInputError("a length is outside 0…\(steps)")
            }
            scoredRows = (0..<rows).map { $0 % steps < lengths[$0 / steps] }
        }
        func counts(_ row: Int) -> Bool { scoredRows?[row] ?? true }
        switch description.outputKind {
        case .categorical:
            guard targets.count * k == outputs.count else {
                throw ModelInputError("\(targets.count) class ids for \(outputs.count / k) predictions")
            }
            try outputs.withUnsafeBufferPointer { all in
                for (i, target) in targets.enumerated() where counts(i) {
                    guard target >= 0, target < Double(k), target == target.rounded() else {
                        throw ModelInputError("target \(target) at position \(i) is not a class id in 0 ..< \(k)")
                    }
                    let logits = UnsafeBufferPointer(rebasing: all[i * k..<(i + 1) * k])
                    loss.add(-logSoftmax(logits, at: Int(target)))
                    judged += 1
                    if argmax(logits) == Int(target) { correct += 1 }
                }
            }
        case .bernoulli:
            guard targets.count == outputs.count else {
                throw ModelInputError("\(targets.count) targets for \(outputs.count) outputs")
            }
            for row in 0..<outputs.count / k where counts(row) {
                var total = 0.0
                for i in row * k..<(row + 1) * k {
                    let target = targets[i]
                    guard target == 0 || target == 1 else {
                        throw ModelInputError("Bernoulli target \(target) is not 0 or 1")
                    }
                    // −log σ(y) = softplus(−y), −log(1 − σ(y)) = softplus(y): stable for any logit.
                    let y = Double(outputs[i])
                    let value = target == 1 ? softplus(-y) : softplus(y)
                    loss.add(value)
                    total += value
                    judged += 1
                    if (y > 0) == (target == 1) { correct += 1 }
                }
                stepLoss.add(total)
            }
        case .regression:
            guard targets.count == outputs.count else {
                throw ModelInputError("\(targets.count) targets for \(outputs.count) outputs")
            }
            for (i, (prediction, target)) in zip(outputs, targets).enumerated() where counts(i / k) {
                let error = Double(prediction) - target
                loss.add(error * error)
            }
        }
        let bernoulli = description.outputKind == .bernoulli && stepLoss.count > 0
        return DataScore(count: loss.count, meanLoss: loss.value, lossStandardError: loss.standardError,
                         accuracy: description.outputKind == .regression || judged == 0
                             ? nil : Double(correct) / Double(judged),
                         meanStepLoss: bernoulli ? stepLoss.value : nil,
                         stepLossStandardError: bernoulli ? stepLoss.standardError : nil)
    }
}

/// log(1 + eˣ) without overflow.
func softplus(_ x: Double) -> Double { x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)) }
