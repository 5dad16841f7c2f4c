import KRUConvert
import Testing

/// F = 2 oracles (`reference/kronecker.md` §5.2, §5.3, §5.6, §5.8): the error equals the SVD tail of R(A) computed
/// independently (explicit rearrangement + LAPACK), closed-form spectra, Kronecker SVD truncation, noise bounds,
/// unitary input.
struct FactorizationTwoFactorTests {
    /// Generic (non-Kronecker) matrices: error = reported optimum = independent SVD tail, for every solver and rank;
    /// captured energy = Σσ_k²/‖A‖²; the singular values match LAPACK's.
    @Test(arguments: [false, true])
    func errorEqualsIndependentSVDTail(complex: Bool) throws {
        var rng = SplitMix64(state: 101)
        for pairs in [[(2, 3), (4, 5)], [(4, 5), (2, 3)], [(3, 7), (6, 2)], [(8, 6), (5, 7)]] {
            let shapes = factorShapes(pairs)
            let a = rng.matrix(pairs[0].0 * pairs[1].0, pairs[0].1 * pairs[1].1, complex: complex)
            let sigma = FactorizationOracle.singularValues(FactorizationOracle.rearrangement(a, shapes[0], shapes[1]))
            let norm = FactorizationOracle.norm(a)
            for rank in [1, 2, min(sigma.count, 4)] {
                let tail = FactorizationOracle.svdTail(a, shapes: shapes, rank: rank)
                for solver in [NearestKronecker.SingularSolver.automatic, .gramEigen, .lapackSVD, .lanczos] {
                    let fit = try factorizeForTest(
                        a, complex: complex, shapes: shapes, rank: rank, options: .init(singularSolver: solver))
                    let label = "\(pairs) rank \(rank) \(solver)"
                    #expect(abs(fit.error - tail) <= 1e-11 * norm, "\(label): \(fit.error) vs tail \(tail)")
                    #expect(abs(fit.optimalError! - tail) <= 1e-11 * norm, "\(label): optimum")
                    let explicit = FactorizationOracle.distance(fit.reconstruction, a)
                    #expect(abs(explicit - tail) <= 1e-11 * norm, "\(label): explicit residual \(explicit)")
                    for k in 0..<rank {
                        #expect(abs(fit.singularValues![k] - sigma[k]) <= 1e-11 * sigma[0], "\(label): σ\(k)")
                        #expect(abs(fit.scales[k] - sigma[k]) <= 1e-11 * sigma[0])
                    }
                    let energy = sigma.prefix(rank).reduce(0) { $0 + $1 * $1 } / (norm * norm)
                    #expect(abs(fit.capturedEnergy - energy) < 1e-12)
                }
            }
        }
    }

    /// Closed form: A = 3·U_0⊗V_0 + 2·U_1⊗V_1 + 1·U_2⊗V_2 with Frobenius-orthonormal {U_k} and {V_k} (signed
    /// matrix units, so nothing here uses an SVD) has R(A) singular values exactly 3, 2, 1: the rank-1 error is √5,
    /// rank 2 leaves 1, rank 3 is exact.
    @Test func closedFormSpectrum() throws {
        func unit(_ rows: Int, _ columns: Int, _ i: Int, _ j: Int, _ value: Double) -> FactorMatrix {
            var m = FactorMatrix(rows: rows, columns: columns, elements: Array(repeating: .zero, count: rows * columns))
            m[i, j] = FactorComplex(value)
            return m
        }
        let shapes = factorShapes([(2, 3), (3, 2)])
        let u = [unit(2, 3, 0, 0, 1), unit(2, 3, 1, 2, -1), unit(2, 3, 0, 1, 1)]
        let v = [unit(3, 2, 2, 1, 1), unit(3, 2, 0, 0, 1), unit(3, 2, 1, 0, -1)]
        var a = FactorizationOracle.scaled(FactorizationOracle.kron(u[0], v[0]), by: FactorComplex(3))
        a = FactorizationOracle.add(a, FactorizationOracle.kron(u[1], v[1]), scale: 2)
        a = FactorizationOracle.add(a, FactorizationOracle.kron(u[2], v[2]), scale: 1)
        for complex in [false, true] {
            let expected = [Double(5.0).squareRoot(), 1, 0]
            for rank in 1...3 {
                let fit = try factorizeForTest(a, complex: complex, shapes: shapes, rank: rank)
                #expect(abs(fit.error - expected[rank - 1]) < 1e-14, "rank \(rank): \(fit.error)")
                #expect(abs(fit.optimalError! - expected[rank - 1]) < 1e-7)
                #expect(zip(fit.singularValues!, [3.0, 2, 1]).allSatisfy { abs($0 - $1) < 1e-14 })
            }
        }
    }

    /// Kronecker SVD (§1.8, §5.3): error² = Σ_{k>r} σ_k² for every r, all r_max terms reconstruct A, and the factor
    /// families are Frobenius-orthogonal (⟨U_k, U_l⟩ = ⟨V_k, V_l⟩ = 0 for k ≠ l).
    @Test(arguments: [false, true])
    func kroneckerSVDTruncation(complex: Bool) throws {
        var rng = SplitMix64(state: 77)
        let shapes = factorShapes([(3, 2), (2, 5)])
        let a = rng.matrix(6, 10, complex: complex)
        let sigma = FactorizationOracle.singularValues(FactorizationOracle.rearrangement(a, shapes[0], shapes[1]))
        #expect(sigma.count == 6)
        for rank in 1...6 {
            let fit = try factorizeForTest(a, complex: complex, shapes: shapes, rank: rank)
            let tail = sigma.dropFirst(rank).reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(fit.error - tail) <= 1e-12 * sigma[0], "rank \(rank)")
            for k in 0..<rank {
                for l in 0..<k {
                    for f in 0..<2 {
                        let p = FactorizationOracle.parallelism(fit.terms[k][f], fit.terms[l][f])
                        #expect(p < 1e-12, "terms \(k), \(l), factor \(f): \(p)")
                    }
                }
            }
        }
        let full = try factorizeForTest(a, complex: complex, shapes: shapes, rank: 6)
        #expect(FactorizationOracle.distance(full.reconstruction, a) < 1e-13 * FactorizationOracle.norm(a))
    }

    /// Noise robustness (§5.6): for A = K + E, the fit K̂ satisfies ‖K̂ − A‖ ≤ ‖K − A‖ and ‖K̂ − K‖ ≤ 2‖E‖.
    @Test(arguments: [false, true])
    func noiseRobustness(complex: Bool) throws {
        var rng = SplitMix64(state: 9)
        let shapes = factorShapes([(2, 3), (4, 5)])
        for noiseLevel in [1e-6, 0.1, 0.5, 2.0] {
            let k = FactorizationOracle.kron(rng.matrix(2, 3, complex: complex), rng.matrix(4, 5, complex: complex))
            let e = FactorizationOracle.scaled(rng.matrix(8, 15, complex: complex), by: FactorComplex(noiseLevel))
            let a = FactorizationOracle.add(k, e)
            let fit = try factorizeForTest(a, complex: complex, shapes: shapes)
            let kHat = fit.reconstruction
            let noise = FactorizationOracle.norm(e)
            #expect(FactorizationOracle.distance(kHat, a) <= noise * (1 + 1e-12))
            #expect(FactorizationOracle.distance(kHat, k) <= 2 * noise * (1 + 1e-12))
        }
    }

    /// Unitary input (§5.8): A = U ⊗ V is recovered with zero error, σ_1 = ‖A‖ = √N, and with balanced norms
    /// B̂B̂ᴴ = √(P1/P0)·I (√2 for 4 ⊗ 8).
    @Test(arguments: [false, true])
    func unitaryInput(complex: Bool) throws {
        var rng = SplitMix64(state: 3)
        let u = rng.unitary(4, complex: complex)
        let v = rng.unitary(8, complex: complex)
        let a = FactorizationOracle.kron(u, v)
        let fit = try factorizeForTest(a, complex: complex, shapes: factorShapes([(4, 4), (8, 8)]))
        #expect(fit.relativeError < 1e-14)
        #expect(abs(fit.singularValues![0] - Double(32.0).squareRoot()) < 1e-13)
        let bbH = FactorizationOracle.multiply(fit.factors[0], FactorizationOracle.adjoint(fit.factors[0]))
        for i in 0..<4 {
            for j in 0..<4 {
                let expected = i == j ? Double(2.0).squareRoot() : 0
                #expect((bbH[i, j] - FactorComplex(expected)).magnitude < 1e-13)
            }
        }
    }

    /// Lanczos on larger rearrangements, both orientations (it runs on Rᴴ when R is wide), with a spectrum whose
    /// top gap is small, against LAPACK's singular values; several wanted triples.
    @Test(arguments: [false, true])
    func lanczosMatchesLAPACK(complex: Bool) throws {
        var rng = SplitMix64(state: 41)
        // The first three fill their Krylov space (≤ 30 dimensions) without restarting; the last three have 64 to
        // 120 input dimensions against a working space of 41–48 vectors, so Gaussian data forces thick restarts.
        for pairs in [[(6, 5), (4, 9)], [(3, 4), (10, 9)], [(10, 9), (3, 4)], [(8, 8), (8, 8)], [(10, 12), (9, 8)],
                      [(9, 8), (10, 12)]] {
            let shapes = factorShapes(pairs)
            let a = rng.matrix(pairs[0].0 * pairs[1].0, pairs[0].1 * pairs[1].1, complex: complex)
            let sigma = FactorizationOracle.singularValues(FactorizationOracle.rearrangement(a, shapes[0], shapes[1]))
            for rank in [1, 3, 8] {
                let fit = try factorizeForTest(
                    a, complex: complex, shapes: shapes, rank: rank, options: .init(singularSolver: .lanczos))
                #expect(fit.converged)
                #expect(fit.iterations > 0)
                for k in 0..<rank { #expect(abs(fit.singularValues![k] - sigma[k]) <= 1e-10 * sigma[0]) }
                let tail = sigma.dropFirst(rank).reduce(0) { $0 + $1 * $1 }.squareRoot()
                #expect(abs(fit.error - tail) <= 1e-10 * sigma[0], "\(pairs) rank \(rank)")
            }
        }
    }

    /// The conj(v) pitfall (§1.3): a complex fit built with v instead of conj(v) has a larger error than the tail;
    /// ours must sit exactly on the tail, and the explicit reconstruction must agree with the reported error.
    @Test func complexFactorsUseConjugatedRightVector() throws {
        var rng = SplitMix64(state: 2024)
        let shapes = factorShapes([(2, 3), (4, 5)])
        let a = rng.matrix(8, 15, complex: true)
        let fit = try factorizeForTest(a, complex: true, shapes: shapes)
        let tail = FactorizationOracle.svdTail(a, shapes: shapes, rank: 1)
        #expect(abs(FactorizationOracle.distance(fit.reconstruction, a) - tail) < 1e-12 * tail)
        let wrong = FactorizationOracle.kron(fit.factors[0], FactorizationOracle.conjugate(fit.factors[1]))
        #expect(FactorizationOracle.distance(wrong, a) > tail * (1 + 1e-3))
    }

    /// The Lanczos step cap ends the run and says so; the answer is still a valid (suboptimal) fit.
    @Test func lanczosStepCapIsReported() throws {
        var rng = SplitMix64(state: 43)
        let shapes = factorShapes([(8, 8), (8, 8)])
        let a = rng.matrix(64, 64, complex: false)
        let fit = try factorizeForTest(
            a, complex: false, shapes: shapes, options: .init(singularSolver: .lanczos, maxLanczosSteps: 3))
        #expect(!fit.converged)
        #expect(fit.iterations == 3)
        #expect(abs(FactorizationOracle.distance(fit.reconstruction, a) - fit.error) < 1e-12 * fit.inputNorm)
        #expect(fit.error >= FactorizationOracle.svdTail(a, shapes: shapes, rank: 1))
    }

    /// `.automatic` picks the Gram route for a short side ≤ 256 and LAPACK's gesvdx above it (Lanczos starts at a
    /// short side of 1024, measured in the timing run); both give the independent tail.
    @Test func automaticSolverFollowsSizeRule() throws {
        var rng = SplitMix64(state: 44)
        for (side, solver) in [(8, NearestKronecker.SingularSolver.gramEigen), (18, .lapackSVD)] {
            let shapes = factorShapes([(side, side), (side, side)])
            let a = rng.matrix(side * side, side * side, complex: false)
            let fit = try factorizeForTest(a, complex: false, shapes: shapes, rank: 2)
            #expect(fit.algorithm == "\(KroneckerFactorization<Double>.Algorithm.kroneckerSVD(solver))")
            let tail = FactorizationOracle.svdTail(a, shapes: shapes, rank: 2)
            #expect(abs(fit.error - tail) <= 1e-11 * fit.inputNorm)
        }
    }
}
