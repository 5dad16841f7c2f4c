import KRUInference

extension NearestKronecker {
    /// What the F > 2 search returns to the entry point.
    struct MultiFactorResult<S: Scalar> {
        var terms: UnitTerms<S>
        var error: Double
        var startError: Double
        var iterations: Int
        var converged: Bool
        var stationarity: Double?
        var algorithm: KroneckerFactorization<S>.Algorithm
    }

    /// F > 2. Rank 1: sequential SVD, then HOPM from it. Rank r > 1: greedy deflation with joint refinement —
    /// for k = 1 … r, fit term k to the residual of the terms so far (sequential SVD + HOPM on that residual), then
    /// refine all k terms jointly by CP-ALS on A. Why this order: greedy deflation alone is not optimal for tensors
    /// (terms interact), and fitting each new term to the residual of the *refined* terms nests the ranks — the new
    /// term's least-squares scale removes λ² ≥ 0 of error and ALS never adds any, so rank r is never worse than
    /// rank r − 1. Best rank-r approximations need not exist (de Silva & Lim 2008), so every joint run is guarded
    /// by keeping the better of its start and its result by direct error.
    /// Optional seeded random restarts run the same refinement from random unit factors; the best run wins.
    static func fitMultiFactor<S: Scalar>(
        _ t: UnsafeBufferPointer<S>, modes: [Int], rank: Int, options: Options, reporter: ProgressReporter
    ) throws(KroneckerFactorizationError) -> MultiFactorResult<S> {
        let refining = options.refine && options.maxIterations > 0
        let runs = refining ? options.restarts : 0
        // Progress shares: the deterministic start gets everything without restarts, otherwise 30 % (60 % for
        // rank > 1, whose start includes r − 1 joint refinements); the restarts split the rest.
        let startShare = runs == 0 ? 1.0 : (rank > 1 ? 0.6 : 0.3)
        func refinement(_ tensor: UnsafeBufferPointer<S>) -> AlternatingRefinement<S> {
            AlternatingRefinement(
                tensor: tensor, modes: modes, tolerance: options.tolerance, maxIterations: options.maxIterations)
        }

        // One term on tensor e: sequential SVD, then (if refining) HOPM from it; progress over [0, 1].
        func fitOneTerm(
            _ e: UnsafeBufferPointer<S>, progress: (Double) -> Void
        ) throws(KroneckerFactorizationError)
            -> (sequential: UnitTerms<S>, refined: AlternatingRefinement<S>.Outcome?) {
            let fit = try sequentialSVD(
                e, modes: modes, options: options, progress: { progress($0 * (refining ? 0.2 : 1)) })
            var sequential = UnitTerms<S>.empty()
            sequential.append(scale: fit.scale, vectors: fit.vectors)
            guard refining else { return (sequential, nil) }
            let outcome = try refinement(e).run(
                from: sequential, startEnergy: fit.scale * fit.scale, progress: { progress(0.2 + 0.8 * $0) })
            return (sequential, outcome)
        }

        var best: MultiFactorResult<S>
        if rank == 1 {
            reporter.begin(.sequentialStart(term: 0), width: startShare)
            let (sequential, refined) = try fitOneTerm(t, progress: reporter.update)
            let startError = residualNorm(t, modes: modes, terms: sequential)
            best = MultiFactorResult(
                terms: sequential, error: startError, startError: startError, iterations: 0, converged: true,
                stationarity: nil, algorithm: .sequentialSVD)
            if let refined {
                let error = residualNorm(t, modes: modes, terms: refined.terms)
                // HOPM never loses energy, but keep the sequential solution if rounding says otherwise.
                best.terms = error <= startError ? refined.terms : sequential
                best.error = min(error, startError)
                best.iterations = refined.iterations
                best.converged = refined.converged
                best.stationarity = refined.stationarity
                best.algorithm = .alternating(start: .sequentialSVD)
            }
        } else {
            var terms = UnitTerms<S>.empty()
            var error = squaredNorm(t).squareRoot()
            best = MultiFactorResult(
                terms: terms, error: error, startError: error, iterations: 0, converged: true, stationarity: nil,
                algorithm: refining ? .alternating(start: .greedyDeflation) : .sequentialSVD)
            for k in 0..<rank {
                reporter.begin(.sequentialStart(term: k), width: startShare / Double(rank))
                let joint = refining && k > 0
                var residual = Array(t)
                subtract(terms, from: &residual, modes: modes)
                let (sequential, refined) = try residual.withUnsafeBufferPointer {
                    e throws(KroneckerFactorizationError) in
                    try fitOneTerm(e, progress: { reporter.update($0 * (joint ? 0.3 : 1)) })
                }
                let term = refined?.terms ?? sequential
                terms.append(scale: term.scales[0], vectors: term.vectors[0])
                error = residualNorm(t, modes: modes, terms: terms)
                best.startError = error
                guard joint else { continue }
                let outcome = try refinement(t).run(
                    from: terms, startEnergy: -.infinity, progress: { reporter.update(0.3 + 0.7 * $0) })
                let refinedError = residualNorm(t, modes: modes, terms: outcome.terms)
                if refinedError < error {
                    terms = outcome.terms
                    error = refinedError
                }
                best.iterations = outcome.iterations
                best.converged = outcome.converged
                best.stationarity = outcome.stationarity
            }
            best.terms = terms
            best.error = error
        }
        guard refining else { return best }

        var random = KRURandom(seed: options.seed)
        for index in 0..<options.restarts {
            reporter.begin(.refining(run: index, runs: runs), width: (1 - startShare) / Double(runs))
            let initial = UnitTerms<S>.random(rank: rank, modes: modes, using: &random)
            let outcome = try refinement(t).run(from: initial, startEnergy: -.infinity, progress: reporter.update)
            let error = residualNorm(t, modes: modes, terms: outcome.terms)
            if error < best.error {
                best.terms = outcome.terms
                best.error = error
                best.iterations = outcome.iterations
                best.converged = outcome.converged
                best.stationarity = outcome.stationarity
                best.algorithm = .alternating(start: .random(index: index))
            }
        }
        return best
    }
}
