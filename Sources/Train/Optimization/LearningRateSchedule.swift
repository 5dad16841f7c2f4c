import Foundation

/// The learning rate as a function of the update number: a linear warm-up, then constant, cosine or step decay.
///
/// ```swift
/// let schedule = LearningRateSchedule(peak: 2e-3, decay: .cosine(floor: 0.05), warmup: 100, totalSteps: 8000)
/// trainer.optimizer.learningRate = schedule.rate(atStep: step)   // step = 1, 2, …
/// ```
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Decay: Sendable, Equatable {
        /// The peak rate throughout.
        case constant
        /// Half a cosine from the peak (after warm-up) down to `floor × peak` at the last step.
        case cosine(floor: Double)
        /// Multiply by `factor` every `every` steps after the warm-up.
        case step(every: Int, factor: Double)
    }

    public var peak: Double
    public var decay: Decay
    /// Steps of linear warm-up from peak/warmup to the peak (0: none).
    public var warmup: Int
    public var totalSteps: Int

    public init(peak: Double, decay: Decay = .constant, warmup: Int = 0, totalSteps: Int) {
        precondition(peak > 0 && warmup >= 0 && totalSteps >= 1,
                     "a schedule needs a positive peak and at least one step")
        self.peak = peak
        self.decay = decay
        self.warmup = warmup
        self.totalSteps = totalSteps
    }

    /// The rate for update `step` (1-based).
    public func rate(atStep step: Int) -> Double {
        if step <= warmup { return peak * Double(step) / Double(warmup) }
        let done = step - warmup, span = max(totalSteps - warmup, 1)
        switch decay {
        case .constant:
            return peak
        case .cosine(let floor):
            let progress = min(Double(done - 1) / Double(max(span - 1, 1)), 1)
            return peak * (floor + (1 - floor) * 0.5 * (1 + cos(Double.pi * progress)))
        case .step(let every, let factor):
            return peak * pow(factor, Double((done - 1) / max(every, 1)))
        }
    }
}
