extension NearestKronecker {
    /// How the top singular triples of a rearranged matrix (m × n, s = min(m, n)) are computed.
    public enum SingularSolver: Hashable, Sendable {
        /// By size, following docs/KRONECKER.md §7: s ≤ 256 → ``gramEigen``; s < 1024 → ``lapackSVD``;
        /// otherwise ``lanczos`` (never a full SVD of a large square rearrangement).
        case automatic
        /// Gram matrix of the short side (`dsyrk`/`zherk`) and its top eigenpairs (`dsyevr`/`zheevr`); the other
        /// side's vectors follow as Rᴴu/σ. Cost m·n·s; squares the condition number, which only blurs singular
        /// values far below σ_1 (about √ε·σ_1), never the dominant ones.
        case gramEigen
        /// LAPACK `dgesvdx`/`zgesvdx` for the top r triples only (bidiagonalisation, O(m·n·s)).
        case lapackSVD
        /// Matrix-free thick-restart Golub–Kahan–Lanczos bidiagonalisation with full reorthogonalisation; stops
        /// when every wanted triple has ‖Rᴴu − σv‖ ≤ ``Options/singularTolerance`` · σ_1 (‖Rv − σu‖ is zero
        /// by construction). Cost per step: one product with R and one with Rᴴ (2·m·n multiply-adds).
        case lanczos
    }

    /// Tuning for `NearestKronecker.factorize`. The defaults suit
    /// conversion of trained weights in Double.
    public struct Options: Hashable, Sendable {
        /// Alternating refinement stops when a sweep raises the captured energy ‖A‖² − error² by at most
        /// `tolerance` times its value. Must be ≥ 0.
        public var tolerance: Double = 1e-12
        /// Upper bound on refinement sweeps per run (the start, each random restart). 0 skips refinement.
        public var maxIterations: Int = 500
        /// F > 2: run alternating refinement after the sequential (r = 1) or greedy (r > 1) start.
        public var refine: Bool = true
        /// F > 2: extra runs from seeded random starts; the best of all runs is kept.
        public var restarts: Int = 0
        /// Seeds the random restarts and the Lanczos start vectors (``KRURandom``), so runs repeat exactly.
        public var seed: UInt64 = 0
        /// Which algorithm computes singular triples (the F = 2 Kronecker SVD and each sequential-SVD step).
        public var singularSolver: SingularSolver = .automatic
        /// Lanczos stopping rule: residual ‖Rᴴu − σv‖ ≤ this × σ_1 for every wanted triple.
        public var singularTolerance: Double = 1e-12
        /// Lanczos cap on products with R (each step costs one product with R and one with Rᴴ).
        public var maxLanczosSteps: Int = 5000
        /// F > 2: also compute the lower bound max over split points k of the optimal two-factor error with
        /// super-factors ⊗_{f<k} and ⊗_{f≥k} (docs/KRONECKER.md §4). Costs F − 1 top singular values.
        public var computeLowerBound: Bool = false

        public init(
            tolerance: Double = 1e-12, maxIterations: Int = 500, refine: Bool = true, restarts: Int = 0,
            seed: UInt64 = 0, singularSolver: SingularSolver = .automatic, singularTolerance: Double = 1e-12,
            maxLanczosSteps: Int = 5000, computeLowerBound: Bool = false
        ) {
            self.tolerance = tolerance
            self.maxIterations = maxIterations
            self.refine = refine
            self.restarts = restarts
            self.seed = seed
            self.singularSolver = singularSolver
            self.singularTolerance = singularTolerance
            self.maxLanczosSteps = maxLanczosSteps
            self.computeLowerBound = computeLowerBound
        }

        /// Rejects values that would make the algorithms loop forever or misbehave.
        func validate() throws(KroneckerFactorizationError) {
            guard tolerance.isFinite, tolerance >= 0 else {
                throw .invalidOption(name: "tolerance", reason: "must be a finite number ≥ 0")
            }
            guard maxIterations >= 0, maxIterations <= 1_000_000 else {
                throw .invalidOption(name: "maxIterations", reason: "must be between 0 and 1000000")
            }
            guard restarts >= 0, restarts <= 10_000 else {
                throw .invalidOption(name: "restarts", reason: "must be between 0 and 10000")
            }
            guard singularTolerance.isFinite, singularTolerance > 0 else {
                throw .invalidOption(name: "singularTolerance", reason: "must be a finite number > 0")
            }
            guard maxLanczosSteps >= 1 else {
                throw .invalidOption(name: "maxLanczosSteps", reason: "must be at least 1")
            }
        }
    }
}
