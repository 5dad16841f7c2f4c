import Foundation
import KRUInference

/// The training losses, chosen by the head's kind (spec/MODEL.md §5), averaged over the scored (step, sequence)
/// pairs:
///
/// - categorical: cross-entropy −log softmax(y)_target, in nats;
/// - bernoulli: Σ_k of the binary cross-entropy of σ(y_k) against target t_k, in nats per step;
/// - regression: the mean over k of (y_k − t_k)², so with K = 1 it is the usual mean squared error.
///
/// A categorical head may also distil a teacher's ``SoftTargets`` (``DistillationLoss``).
enum SequenceLoss {
    /// Returns the summed loss (the data's, also when distilling), the number of scored rows and, with `teacher`,
    /// the summed KL divergence from the teacher's softened outputs (else 0); if `gradient` is given, writes
    /// ∂(sum / count)/∂y of the loss trained on into it for every row (zero at unscored steps).
    ///
    /// `threads` workers take the steps in blocks; each row's terms are kept and summed afterwards in row order, so
    /// the sums are the same, bit for bit, for every thread count (a row's gradient depends on that row alone).
    static func evaluate(_ kind: ModelDescription.OutputKind, logits: UnsafePointer<Double>, width k: Int,
                         batch: SequenceBatch, teacher: SoftTargets? = nil, gradient: UnsafeMutablePointer<Double>?,
                         threads: Int = 1) -> (sum: Double, count: Int, divergence: Double) {
        let rowsPerStep = batch.batchSize
        let count = batch.scoredCount
        let scale = count > 0 ? 1 / Double(count) : 0
        precondition(teacher.map { kind == .categorical && $0.logits.count == batch.length * rowsPerStep * k } ?? true,
                     "soft targets are for a categorical head, K per row")
        var rowLoss = [Double](repeating: 0, count: batch.length * rowsPerStep), rowDivergence = rowLoss
        rowLoss.withUnsafeMutableBufferPointer { rowLoss in
            rowDivergence.withUnsafeMutableBufferPointer { rowDivergence in
                BatchPartition(batchSize: batch.length, workers: threads).run { _, steps in
                    let rows = steps.lowerBound * rowsPerStep..<steps.upperBound * rowsPerStep
                    gradient?.advanced(by: rows.lowerBound * k).update(repeating: 0, count: rows.count * k)
                    for t in steps where batch.scoredSteps[t] {
                        for row in t * rowsPerStep..<(t + 1) * rowsPerStep
                        where batch.isScored(step: t, sequence: row - t * rowsPerStep) {
                            (rowLoss[row], rowDivergence[row]) = terms(
                                kind, logits: logits + row * k, width: k, row: row, batch: batch, teacher: teacher,
                                scale: scale, gradient: gradient.map { $0 + row * k })
                        }
                    }
                }
            }
        }
        var sum = 0.0, divergence = 0.0
        for t in 0..<batch.length where batch.scoredSteps[t] {
            for row in t * rowsPerStep..<(t + 1) * rowsPerStep
            where batch.isScored(step: t, sequence: row - t * rowsPerStep) {
                sum += rowLoss[row]
                divergence += rowDivergence[row]
            }
        }
        return (sum, count, divergence)
    }

    /// One scored row `y`: its loss and its KL divergence from the teacher (0 without one); writes the row's
    /// gradient (already scaled by 1 / count) into `g` if given.
    private static func terms(_ kind: ModelDescription.OutputKind, logits y: UnsafePointer<Double>, width k: Int,
                              row: Int, batch: SequenceBatch, teacher: SoftTargets?, scale: Double,
                              gradient g: UnsafeMutablePointer<Double>?) -> (loss: Double, divergence: Double) {
        switch (kind, batch.targets) {
        case (.categorical, .classes(let classes)) where teacher != nil:
            let target = classes[row]
            precondition(target >= 0 && target < k, "class \(target) at row \(row) is outside 0..<\(k)")
            let terms = teacher!.logits.withUnsafeBufferPointer {
                DistillationLoss.row(student: y, teacher: $0.baseAddress! + row * k, width: k, target: target,
                                     distillation: teacher!.distillation, scale: scale, gradient: g)
            }
            return (terms.crossEntropy, terms.divergence)
        case (.categorical, .classes(let classes)):
            let target = classes[row]
            precondition(target >= 0 && target < k, "class \(target) at row \(row) is outside 0..<\(k)")
            var m = y[0]
            for i in 1..<k { m = max(m, y[i]) }
            var total = 0.0
            for i in 0..<k { total += exp(y[i] - m) }
            let logNormalizer = m + log(total)
            if let g {
                for i in 0..<k { g[i] = scale * exp(y[i] - logNormalizer) }
                g[target] -= scale
            }
            return (logNormalizer - y[target], 0)
        case (.bernoulli, .values(let targets)):
            var sum = 0.0
            for i in 0..<k {
                let (v, target) = (y[i], targets[row * k + i])
                // log(1 + e^v) − t·v, written so neither exp can overflow.
                sum += max(v, 0) - v * target + log1p(exp(-abs(v)))
                g?[i] = scale * (1 / (1 + exp(-v)) - target)
            }
            return (sum, 0)
        case (.regression, .values(let targets)):
            var sum = 0.0
            for i in 0..<k {
                let difference = y[i] - targets[row * k + i]
                sum += difference * difference / Double(k)
                g?[i] = scale * 2 * difference / Double(k)
            }
            return (sum, 0)
        default:
            preconditionFailure("a \(kind) head needs \(kind == .categorical ? "class" : "value") targets")
        }
    }
}

extension SequenceLoss {
    /// −log softmax(logits)[target] in nats, with the maximum subtracted so no exp overflows (for the evaluation
    /// loops of the tasks, which read whole logit rows).
    static func crossEntropy(_ logits: ArraySlice<Double>, target: Int) -> Double {
        let top = logits.max()!
        return top + log(logits.reduce(0) { $0 + exp($1 - top) }) - logits[logits.startIndex + target]
    }
}
