extension NearestKronecker {
    /// Alternating least squares on Σ_k λ_k ∘_f u_f^(k) ≈ T: sweep f = 0 … F−1, replacing factor f of every term
    /// by its exact least-squares optimum with all other factors fixed (Gauss–Seidel, newest factors always).
    /// For one term this is the higher-order power method (HOPM, De Lathauwer et al. 2000); for r terms, CP-ALS.
    ///
    /// Update of mode f (closed form, docs/KRONECKER.md §6 generalised to r terms):
    ///
    ///     M[:, k] = T ×_{g≠f} conj(u_g^(k))                    (mode contraction)
    ///     Γ[l, k] = ∏_{g≠f} ⟨u_g^(k), u_g^(l)⟩                  (r × r, Hermitian; 1 for r = 1)
    ///     W Γ = M  ⇒  W = M Γ⁺,   λ_k = ‖W[:, k]‖,  u_f^(k) = W[:, k]/λ_k
    ///
    /// Γ⁺ is the eigen-decomposition pseudo-inverse (eigenvalues below 1e-12 × the largest are dropped), so nearly
    /// collinear terms (CP degeneracy) do not blow up. Each update is an exact least-squares solve, so the captured
    /// energy ‖T‖² − error² = Re Σ_k ⟨W[:, k], M[:, k]⟩ never decreases in exact arithmetic. The loop still checks:
    /// it keeps the best iterate, stops if a sweep loses more than rounding, and stops when a sweep gains at most
    /// `tolerance` × the energy, or after `maxIterations` sweeps.
    ///
    /// Cost: contractions reuse right-to-left partial results C_f = T ×_{g>f} conj(u_g) (computed once per sweep),
    /// so mode f contracts only the ∏_{g≤f} P_gQ_g entries of C_f with the Kronecker vector of the new factors
    /// before it — about 2·N²·n/(n−1) multiply-adds per term and sweep (n = the smallest P_fQ_f), via BLAS `gemv`.
    struct AlternatingRefinement<S: Scalar> {
        let tensor: UnsafeBufferPointer<S>
        let modes: [Int]
        let tolerance: Double
        let maxIterations: Int

        struct Outcome {
            var terms: UnitTerms<S>
            /// ‖T‖² − error² of `terms` (from the normal equations of the last sweep).
            var capturedEnergy: Double
            /// Sweeps run (the best iterate may come from an earlier one).
            var iterations: Int
            /// True when a sweep gained at most `tolerance` × the energy.
            var converged: Bool
            /// max_f ‖M_f − W_f Γ_f‖/‖M_f‖ in the last sweep (W_f the factor before its update).
            var stationarity: Double
        }

        /// Refines `start`, whose captured energy is `startEnergy` (−∞ if unknown, e.g. a random start).
        func run(
            from start: UnitTerms<S>, startEnergy: Double, progress: (Double) -> Void
        ) throws(KroneckerFactorizationError) -> Outcome {
            let order = modes.count
            let r = start.count
            let prefix = prefixProducts(modes)
            let normSquared = squaredNorm(tensor)
            var terms = start
            var best = Outcome(
                terms: start, capturedEnergy: startEnergy, iterations: 0, converged: false, stationarity: .infinity)
            guard maxIterations > 0 else { return best }

            // caches[k][f] = T ×_{g>f} conj(u_g^(k)) for f < F−1 (size ∏_{g≤f} n_g); mode F−1 reads T itself.
            var caches = (0..<r).map { _ in (0..<(order - 1)).map { [S](repeating: .zero, count: prefix[$0 + 1]) } }
            var kron = [S](repeating: .zero, count: prefix[order - 1])
            var previous = startEnergy

            for sweep in 1...maxIterations {
                for k in 0..<r { refreshCaches(&caches[k], vectors: terms.vectors[k], prefix: prefix) }
                var stationarity = 0.0
                var energy = 0.0
                for f in 0..<order {
                    let n = modes[f]
                    let head = prefix[f]
                    // M, column k contiguous: M[k·n + i].
                    var m = [S](repeating: .zero, count: n * r)
                    for k in 0..<r {
                        kron.withUnsafeMutableBufferPointer { buffer in
                            _ = kroneckerVector(terms.vectors[k][..<f], conjugated: true, into: buffer)
                        }
                        let contract = { (source: UnsafePointer<S>) in
                            kron.withUnsafeBufferPointer { x in
                                m.withUnsafeMutableBufferPointer { y in
                                    S.gemv(.rowMajor, .transpose, rows: head, columns: n, alpha: S(real: 1), source,
                                           lda: n, x.baseAddress!, beta: .zero, y.baseAddress! + k * n)
                                }
                            }
                        }
                        if f == order - 1 { contract(tensor.baseAddress!) }
                        else { caches[k][f].withUnsafeBufferPointer { contract($0.baseAddress!) } }
                    }
                    let gram = termGram(terms, excluding: f)
                    stationarity = max(stationarity, normalEquationResidual(m, terms: terms, mode: f, gram: gram))
                    let w = try solveNormalEquations(m, gram: gram, rows: n, terms: r)
                    for k in 0..<r {
                        let (unit, norm) = normalized(Array(w[(k * n)..<((k + 1) * n)]))
                        terms.scales[k] = norm
                        if norm > 0 { terms.vectors[k][f] = unit }
                    }
                    if f == order - 1 {
                        for i in 0..<(n * r) { energy += (w[i].conjugate * m[i]).realPart }
                    }
                }
                if energy > best.capturedEnergy {
                    best = Outcome(
                        terms: terms, capturedEnergy: energy, iterations: sweep, converged: false,
                        stationarity: stationarity)
                }
                best.iterations = sweep
                best.stationarity = stationarity
                // A loss beyond rounding means the pseudo-inverse dropped a real direction: stop, keep the best.
                if energy < previous - 1e-13 * normSquared { break }
                if energy - previous <= tolerance * abs(energy) {
                    best.converged = true
                    break
                }
                previous = energy
                progress(Double(sweep) / Double(maxIterations))
            }
            return best
        }

        /// caches[f] = caches[f+1] ×_{f+1} conj(u_{f+1}), right to left; caches[F−2] contracts T itself.
        private func refreshCaches(_ caches: inout [[S]], vectors: [[S]], prefix: [Int]) {
            let order = modes.count
            for f in stride(from: order - 2, through: 0, by: -1) {
                let n = modes[f + 1]
                let conjugated = vectors[f + 1].map(\.conjugate)
                let rows = prefix[f + 1]
                let write = { (source: UnsafePointer<S>, target: inout [S]) in
                    conjugated.withUnsafeBufferPointer { x in
                        target.withUnsafeMutableBufferPointer { y in
                            S.gemv(.rowMajor, .none, rows: rows, columns: n, alpha: S(real: 1), source, lda: n,
                                   x.baseAddress!, beta: .zero, y.baseAddress!)
                        }
                    }
                }
                if f == order - 2 {
                    write(tensor.baseAddress!, &caches[f])
                } else {
                    let source = caches[f + 1]
                    source.withUnsafeBufferPointer { write($0.baseAddress!, &caches[f]) }
                }
            }
        }

        /// Γ[l·r + k] = ∏_{g≠f} ⟨u_g^(k), u_g^(l)⟩.
        private func termGram(_ terms: UnitTerms<S>, excluding f: Int) -> [S] {
            let r = terms.count
            var gram = [S](repeating: S(real: 1), count: r * r)
            for l in 0..<r {
                for k in 0..<r where k != l {
                    var product = S(real: 1)
                    for g in modes.indices where g != f {
                        product = product * inner(terms.vectors[k][g], terms.vectors[l][g])
                    }
                    gram[l * r + k] = product
                }
            }
            return gram
        }

        /// ‖M − W_old Γ‖/‖M‖ with W_old[:, k] = λ_k u_f^(k): how far the current factor is from solving its
        /// normal equations (zero at a stationary point).
        private func normalEquationResidual(_ m: [S], terms: UnitTerms<S>, mode f: Int, gram: [S]) -> Double {
            let n = modes[f]
            let r = terms.count
            var difference = 0.0
            for k in 0..<r {
                for i in 0..<n {
                    var value = m[k * n + i]
                    for l in 0..<r {
                        value = value - terms.vectors[l][f][i].scaled(by: terms.scales[l]) * gram[l * r + k]
                    }
                    difference += value.squaredMagnitude
                }
            }
            let norm = squaredNorm(m)
            return norm > 0 ? (difference / norm).squareRoot() : 0
        }

        /// W = M Γ⁺ (columns contiguous, like M).
        private func solveNormalEquations(
            _ m: [S], gram: [S], rows n: Int, terms r: Int
        ) throws(KroneckerFactorizationError) -> [S] {
            guard r > 1 else { return m }
            var g = gram
            let (values, vectors) = try g.withUnsafeMutableBufferPointer { a throws(KroneckerFactorizationError) in
                try S.largestEigenpairs(a.baseAddress!, order: r, count: r)
            }
            let cutoff = 1e-12 * (values.max() ?? 0)
            // Γ⁺[l, k] = Σ_e v_e[l] conj(v_e[k]) / μ_e over eigenpairs (μ_e, v_e) above the cutoff.
            var pseudoInverse = [S](repeating: .zero, count: r * r)
            for e in 0..<r where values[e] > cutoff {
                for l in 0..<r {
                    for k in 0..<r {
                        let term = vectors[l * r + e] * vectors[k * r + e].conjugate
                        pseudoInverse[l * r + k] = pseudoInverse[l * r + k] + term.scaled(by: 1 / values[e])
                    }
                }
            }
            var w = [S](repeating: .zero, count: n * r)
            for k in 0..<r {
                for l in 0..<r {
                    let c = pseudoInverse[l * r + k]
                    for i in 0..<n { w[k * n + i] = w[k * n + i] + m[l * n + i] * c }
                }
            }
            return w
        }
    }
}
