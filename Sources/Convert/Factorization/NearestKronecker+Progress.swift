extension NearestKronecker {
    /// One progress report: how much is done and what is running.
    public struct Progress: Hashable, Sendable {
        /// What the factorization is doing.
        public enum Stage: Hashable, Sendable {
            /// Permuting A into the rearranged tensor.
            case rearranging
            /// F = 2: top singular triples of R(A).
            case kroneckerSVD
            /// F > 2: the deterministic start for term `term` (0-based): its sequential SVD and HOPM refinement,
            /// and for r > 1 the joint refinement of terms 0 … term.
            case sequentialStart(term: Int)
            /// F > 2: random restart `run` of `runs`.
            case refining(run: Int, runs: Int)
            /// F > 2: the optional split lower bound.
            case lowerBound
            /// Done; the last report, with fraction 1.
            case finished
        }

        /// Fraction of the estimated work done, in [0, 1]; never decreases within one factorization.
        /// Refinement is budgeted at ``Options/maxIterations`` sweeps per run, so the fraction jumps forward
        /// when a run converges early.
        public var fraction: Double
        public var stage: Stage

        public init(fraction: Double, stage: Stage) {
            self.fraction = fraction
            self.stage = stage
        }
    }

    /// Turns stage-local fractions into one non-decreasing overall fraction. Stages get fixed shares of [0, 1]
    /// because the work of later stages (refinement sweeps) is not known in advance.
    final class ProgressReporter {
        private let callback: ((Progress) -> Void)?
        private var reported = 0.0
        private var stageStart = 0.0
        private var stageWidth = 0.0
        private var stage = Progress.Stage.rearranging

        init(_ callback: ((Progress) -> Void)?) { self.callback = callback }

        /// Starts a stage owning the next `width` of the unit interval.
        func begin(_ stage: Progress.Stage, width: Double) {
            stageStart = min(1, max(reported, stageStart + stageWidth))
            stageWidth = max(0, min(width, 1 - stageStart))
            self.stage = stage
            emit(stageStart)
        }

        /// Reports that `fraction` ∈ [0, 1] of the current stage is done.
        func update(_ fraction: Double) {
            emit(stageStart + stageWidth * min(1, max(0, fraction)))
        }

        func finish() {
            stage = .finished
            emit(1)
        }

        private func emit(_ value: Double) {
            guard let callback, value >= reported else { return }
            reported = value
            callback(Progress(fraction: value, stage: stage))
        }
    }
}
