import Foundation

/// Knowledge distillation (Hinton, Vinyals and Dean, "Distilling the Knowledge in a Neural Network", 2015): a
/// categorical head trains on a mix of the data's cross-entropy and the Kullback–Leibler divergence from a teacher's
/// temperature-softened outputs to its own,
///
///     L = (1 − a)·CE(y, softmax(z)) + a·T²·KL(softmax(t/T) ‖ softmax(z/T)),
///
/// with z the student's logits, t the teacher's, T the temperature and a the weight. The factor T² keeps the soft
/// term's gradient, a·T·(softmax(z/T) − softmax(t/T)), on the scale of the hard term's as T changes.
public struct Distillation: Sendable, Equatable {
    /// T = 2: soft enough that the teacher's ranking of the unlikely characters carries weight; on the zoo's
    /// KJV conversion it validated better than T = 1 (docs/TRAINING.md).
    public static let defaultTemperature = 2.0
    /// a = 0.5: the data and the teacher count equally.
    public static let defaultWeight = 0.5

    /// T > 0, the temperature both output distributions are softened with.
    public var temperature: Double
    /// a in [0, 1], the weight of the teacher's term (0: plain cross-entropy; 1: the teacher alone).
    public var weight: Double

    /// Settings as given; ``validate()`` checks them.
    public init(temperature: Double = defaultTemperature, weight: Double = defaultWeight) {
        self.temperature = temperature
        self.weight = weight
    }

    /// Checks T and a, naming them as their flags are spelled.
    /// - Throws: ``TrainingRunError`` of kind `.usage`.
    public func validate() throws(TrainingRunError) {
        guard temperature.isFinite, temperature > 0 else {
            throw .usage("--distill-temperature must be a finite number greater than 0, got \(temperature)")
        }
        guard weight.isFinite, (0...1).contains(weight) else {
            throw .usage("--distill-weight must be a number in [0, 1], got \(weight)")
        }
    }
}

/// A teacher's logits for every row of one batch (row t·B + b, K values each, as ``SequenceBatch`` orders rows),
/// and how to distil them.
public struct SoftTargets: Sendable {
    /// The teacher's logits, row-major: row t·B + b, K values each.
    public let logits: [Double]
    /// The temperature and weight to distil them with.
    public let distillation: Distillation

    /// Targets from `logits` laid out as ``logits`` describes.
    public init(logits: [Double], distillation: Distillation) {
        self.logits = logits
        self.distillation = distillation
    }

    /// The targets of rows `rows` (a chunk of steps of the batch), K values each.
    func rows(_ rows: Range<Int>, width k: Int) -> SoftTargets {
        SoftTargets(logits: Array(logits[rows.lowerBound * k..<rows.upperBound * k]), distillation: distillation)
    }
}

/// The distillation loss of one row, in Double for both training precisions (as ``SequenceLoss`` computes the
/// plain losses).
enum DistillationLoss {
    /// The row's data cross-entropy −log softmax(z)[target] and KL(softmax(t/T) ‖ softmax(z/T)), both in nats. With
    /// `gradient`, writes scale·∂L/∂z of the mixed loss L: scale·[(1 − a)(softmax(z) − onehot) + a·T·(q − p)].
    ///
    /// Both softened distributions come from one function, so a teacher whose logits equal the student's gives a
    /// divergence and a soft gradient of exactly zero, and a = 0 gives exactly the plain cross-entropy's gradient.
    static func row(student z: UnsafePointer<Double>, teacher t: UnsafePointer<Double>, width k: Int, target: Int,
                    distillation: Distillation, scale: Double,
                    gradient g: UnsafeMutablePointer<Double>?) -> (crossEntropy: Double, divergence: Double) {
        let temperature = distillation.temperature, a = distillation.weight
        let logNormalizer = logSumExp(z, k, divisor: 1)
        let student = logSumExp(z, k, divisor: temperature), teacher = logSumExp(t, k, divisor: temperature)
        var divergence = 0.0
        for i in 0..<k {
            let logP = t[i] / temperature - teacher, logQ = z[i] / temperature - student
            let p = exp(logP)
            // p·(log p − log q), with the limit 0 where p underflows to 0.
            if p > 0 { divergence += p * (logP - logQ) }
            g?[i] = scale * (1 - a) * exp(z[i] - logNormalizer) + scale * a * temperature * (exp(logQ) - p)
        }
        g?[target] -= scale * (1 - a)
        return (logNormalizer - z[target], divergence)
    }

    /// log Σ_i exp(x_i / divisor), with the maximum subtracted so no exp overflows.
    private static func logSumExp(_ x: UnsafePointer<Double>, _ k: Int, divisor: Double) -> Double {
        var top = x[0] / divisor
        for i in 1..<k { top = max(top, x[i] / divisor) }
        var total = 0.0
        for i in 0..<k { total += exp(x[i] / divisor - top) }
        return top + log(total)
    }
}
