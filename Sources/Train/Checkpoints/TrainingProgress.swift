import KRUInference

/// Where a training run is: everything besides the parameters and the optimizer that the next update depends on.
/// Saved in a ``TrainingCheckpoint`` so an interrupted run resumes with exactly the result of an uninterrupted one.
public struct TrainingProgress: Sendable, Equatable {
    /// Updates done.
    public var step: Int
    /// The generator that draws the next batches.
    public var random: KRURandom
    /// Task-specific position in the data (e.g. the offset of the next chunk in each character stream).
    public var position: Int
    /// The state carried into the next chunk (truncated BPTT), if any.
    public var state: RecurrentState?
    /// The validation metric after every validation so far.
    public var history: [Double]
    /// Characters (or sequences) trained on so far.
    public var items: Int
    /// The last update's training loss.
    public var lastLoss: Double
    /// When distilling: the last update's KL divergence from the teacher's softened outputs, in the loss's unit.
    /// Reported only; not checkpointed (a resumed run sets it at its first update) nor compared.
    public var lastDivergence: Double?
    /// Training time so far, in seconds (wall clock, summed over runs).
    public var seconds: Double
    /// With early stopping: the step of the best validation so far, its value and the parameters it had.
    public var best: (step: Int, validation: Double, parameters: [Double])?

    public init(step: Int = 0, random: KRURandom, position: Int = 0, state: RecurrentState? = nil,
                history: [Double] = [], items: Int = 0, lastLoss: Double = .nan, seconds: Double = 0,
                best: (step: Int, validation: Double, parameters: [Double])? = nil) {
        self.step = step
        self.random = random
        self.position = position
        self.state = state
        self.history = history
        self.items = items
        self.lastLoss = lastLoss
        self.seconds = seconds
        self.best = best
    }

    public static func == (a: TrainingProgress, b: TrainingProgress) -> Bool {
        a.step == b.step && a.random == b.random && a.position == b.position && a.state == b.state
            && a.history == b.history
            && a.items == b.items && a.lastLoss.bitPattern == b.lastLoss.bitPattern && a.seconds == b.seconds
            && a.best?.step == b.best?.step && a.best?.validation == b.best?.validation
            && a.best?.parameters == b.best?.parameters
    }
}
