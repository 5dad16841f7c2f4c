import KRUConvert
import Testing

/// F > 2 oracles (`reference/kronecker.md` §5.4, §5.5): refinement never loses to its start, the reported error is
/// the explicit residual, the split lower bound and the √(F−1) quasi-optimality bound hold, restarts are
/// reproducible and never worse, and rank-r fits improve with r.
struct FactorizationMultiFactorTests {
    static let cases: [[(Int, Int)]] = [
        [(2, 3), (3, 2), (4, 4)],
        [(2, 2), (2, 2), (2, 2), (2, 2)],
        [(3, 2), (2, 4), (2, 3)],
        [(4, 4), (4, 4), (4, 4)],
    ]

    @Test(arguments: [false, true])
    func refinementImprovesOnSequentialAndRespectsBounds(complex: Bool) throws {
        var rng = SplitMix64(state: 55)
        for pairs in Self.cases {
            let shapes = factorShapes(pairs)
            let rows = pairs.reduce(1) { $0 * $1.0 }
            let columns = pairs.reduce(1) { $0 * $1.1 }
            // Near-Kronecker data (a product plus 50 % noise) and plain Gaussian data.
            let product = FactorizationOracle.kron(pairs.map { rng.matrix($0.0, $0.1, complex: complex) })
            let noise = rng.matrix(rows, columns, complex: complex)
            let scale = 0.5 * FactorizationOracle.norm(product) / FactorizationOracle.norm(noise)
            for a in [FactorizationOracle.add(product, noise, scale: scale), noise] {
                let sequential = try factorizeForTest(
                    a, complex: complex, shapes: shapes, options: .init(refine: false))
                let refined = try factorizeForTest(
                    a, complex: complex, shapes: shapes, options: .init(computeLowerBound: true))
                let label = "\(pairs)"
                // The explicit residual is what is reported.
                #expect(abs(FactorizationOracle.distance(refined.reconstruction, a) - refined.error)
                    <= 1e-12 * refined.inputNorm)
                #expect(abs(FactorizationOracle.distance(sequential.reconstruction, a) - sequential.error)
                    <= 1e-12 * sequential.inputNorm)
                // Sequential error is exactly √(‖A‖² − λ²) (orthogonal per-step errors).
                let predicted = (sequential.inputNorm * sequential.inputNorm
                    - sequential.scales[0] * sequential.scales[0]).squareRoot()
                #expect(abs(sequential.error - predicted) <= 1e-9 * sequential.inputNorm, "\(label)")
                // Refinement starts from the sequential solution and never loses.
                #expect(abs(refined.startError! - sequential.error) <= 1e-12 * refined.inputNorm)
                #expect(refined.error <= sequential.error * (1 + 1e-13),
                        "\(label): \(refined.error) > \(sequential.error)")
                // lower bound ≤ refined ≤ sequential ≤ √(F−1) · refined (since refined ≥ the global optimum).
                #expect(refined.lowerBound! <= refined.error * (1 + 1e-12), "\(label): bound \(refined.lowerBound!)")
                #expect(sequential.error <= (Double(pairs.count - 1)).squareRoot() * refined.error * (1 + 1e-12))
                // λ² = captured energy = 1 − relative error² at a least-squares-optimal scale.
                #expect(abs(refined.capturedEnergy - (1 - refined.relativeError * refined.relativeError)) < 1e-10)
                if refined.converged { #expect(refined.stationarity! < 1e-4, "\(label): \(refined.stationarity!)") }
            }
        }
    }

    /// HOPM converges to a stationary point: with a tight tolerance the stationarity residual becomes tiny.
    @Test(arguments: [false, true])
    func convergesToStationaryPoint(complex: Bool) throws {
        var rng = SplitMix64(state: 12)
        let pairs = [(2, 3), (3, 2), (4, 4)]
        let product = FactorizationOracle.kron(pairs.map { rng.matrix($0.0, $0.1, complex: complex) })
        let a = FactorizationOracle.add(product, rng.matrix(24, 24, complex: complex), scale: 0.3)
        let fit = try factorizeForTest(
            a, complex: complex, shapes: factorShapes(pairs), options: .init(tolerance: 1e-15, maxIterations: 2000))
        #expect(fit.stationarity! < 1e-6)
        #expect(fit.iterations >= 1)
    }

    /// Restarts: the same seed gives the same answer, and more restarts never give a worse one.
    @Test func restartsAreSeededAndNeverWorse() throws {
        var rng = SplitMix64(state: 99)
        let shapes = factorShapes([(4, 4), (4, 4), (4, 4)])
        let a = rng.matrix(64, 64, complex: false)
        let plain = try factorizeForTest(a, complex: false, shapes: shapes)
        let first = try factorizeForTest(a, complex: false, shapes: shapes, options: .init(restarts: 4, seed: 7))
        let again = try factorizeForTest(a, complex: false, shapes: shapes, options: .init(restarts: 4, seed: 7))
        #expect(first.error == again.error)
        #expect(first.factors.map(\.elements) == again.factors.map(\.elements))
        #expect(first.error <= plain.error)
        // Gaussian data is far from Kronecker structure: the relative error stays near 1 (≈ 0.99 for 4x4x4).
        #expect(first.relativeError > 0.95 && first.relativeError < 1)
    }

    /// Rank r > 1 with F > 2: greedy deflation + joint refinement; the error falls with r, refinement never loses to
    /// the greedy start, and a generic sum of two 3-factor products is found almost exactly by joint ALS.
    @Test(arguments: [false, true])
    func rankRWithManyFactors(complex: Bool) throws {
        var rng = SplitMix64(state: 31)
        let pairs = [(2, 3), (3, 2), (2, 2)]
        let shapes = factorShapes(pairs)
        var a = FactorizationOracle.kron(pairs.map { rng.matrix($0.0, $0.1, complex: complex) })
        a = FactorizationOracle.add(a, FactorizationOracle.kron(pairs.map { rng.matrix($0.0, $0.1, complex: complex) }))
        var previous = Double.infinity
        for rank in 1...3 {
            let fit = try factorizeForTest(
                a, complex: complex, shapes: shapes, rank: rank, options: .init(tolerance: 1e-15, maxIterations: 3000))
            #expect(fit.terms.count == rank)
            #expect(fit.error <= fit.startError! * (1 + 1e-13))
            #expect(fit.error <= previous * (1 + 1e-12))
            #expect(abs(FactorizationOracle.distance(fit.reconstruction, a) - fit.error) <= 1e-12 * fit.inputNorm)
            previous = fit.error
            if rank == 2 { #expect(fit.relativeError < 1e-6, "rank 2: \(fit.relativeError) (\(fit.algorithm))") }
        }
    }

    /// Exact products stay exact through greedy deflation: a single product asked for rank 2 gives a zero (or
    /// negligible) second term.
    @Test func exactProductAtRankTwo() throws {
        var rng = SplitMix64(state: 8)
        let pairs = [(2, 3), (3, 1), (2, 2)]
        let a = FactorizationOracle.kron(pairs.map { rng.matrix($0.0, $0.1, complex: true) })
        let fit = try factorizeForTest(a, complex: true, shapes: factorShapes(pairs), rank: 2)
        #expect(fit.relativeError < 1e-13)
        #expect(fit.scales[1] < 1e-12 * fit.scales[0])
    }
}
