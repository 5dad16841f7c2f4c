import Foundation
import KRUConvert
import Testing

/// `reference/kronecker.md` §5.1: a matrix that is exactly a Kronecker product (or a sum of r of them for F = 2) is
/// recovered with error at rounding level, every factor parallel to the original up to scale/phase, scale = ∏‖W_f‖,
/// and the documented canonical form (balanced norms, phase rule) holds.
struct FactorizationExactRecoveryTests {
    /// Pairwise-distinct, mostly non-square shapes so transposed or swapped indices cannot pass.
    static let shapeLists: [[(Int, Int)]] = [
        [(2, 3), (4, 5)],
        [(3, 2), (2, 4), (4, 3)],
        [(2, 3), (3, 1), (1, 2), (4, 2)],
        [(2, 1), (1, 3), (3, 2), (2, 2), (1, 2)],
        [(3, 3), (2, 2), (4, 4)],
    ]

    @Test(arguments: [false, true], [false, true])
    func recoversRandomKroneckerProducts(complex: Bool, refine: Bool) throws {
        var rng = SplitMix64(state: complex ? 11 : 7)
        for pairs in Self.shapeLists {
            let shapes = factorShapes(pairs)
            let originals = pairs.map { rng.matrix($0.0, $0.1, complex: complex) }
            let a = FactorizationOracle.kron(originals)
            let fit = try factorizeForTest(a, complex: complex, shapes: shapes, options: .init(refine: refine))

            #expect(fit.relativeError < 1e-13, "\(pairs): relative error \(fit.relativeError)")
            let direct = FactorizationOracle.distance(fit.reconstruction, a) / FactorizationOracle.norm(a)
            #expect(direct < 1e-13, "\(pairs): reconstructed error \(direct)")
            let expectedScale = originals.reduce(1.0) { $0 * FactorizationOracle.norm($1) }
            #expect(abs(fit.scales[0] - expectedScale) <= 1e-12 * expectedScale)
            for (f, original) in originals.enumerated() {
                #expect(abs(FactorizationOracle.parallelism(fit.factors[f], original) - 1) < 1e-12, "factor \(f)")
                #expect(fit.factors[f].rows == pairs[f].0 && fit.factors[f].columns == pairs[f].1)
            }
            Self.expectCanonical(fit.factors, scale: fit.scales[0])
        }
    }

    /// Every singular solver recovers an exact product (rank-1 R(A) exercises Lanczos' breakdown handling).
    @Test(arguments: [NearestKronecker.SingularSolver.gramEigen, .lapackSVD, .lanczos], [false, true])
    func everySolverRecoversTwoFactors(solver: NearestKronecker.SingularSolver, complex: Bool) throws {
        var rng = SplitMix64(state: 5)
        for pairs in [[(2, 3), (4, 5)], [(5, 4), (3, 2)], [(6, 7), (5, 4)]] {
            let originals = pairs.map { rng.matrix($0.0, $0.1, complex: complex) }
            let a = FactorizationOracle.kron(originals)
            let fit = try factorizeForTest(
                a, complex: complex, shapes: factorShapes(pairs), options: .init(singularSolver: solver))
            #expect(fit.relativeError < 1e-13, "\(solver) \(pairs): \(fit.relativeError)")
            #expect(fit.converged)
            for f in 0..<2 { #expect(abs(FactorizationOracle.parallelism(fit.factors[f], originals[f]) - 1) < 1e-12) }
        }
    }

    /// A sum of r Kronecker products with F = 2 is reconstructed exactly by the rank-r Kronecker SVD.
    @Test(arguments: [false, true])
    func recoversSumsOfTwoFactorProducts(complex: Bool) throws {
        var rng = SplitMix64(state: 23)
        let pairs = [(3, 2), (4, 5)]
        for rank in 1...3 {
            var a = FactorizationOracle.kron(rng.matrix(3, 2, complex: complex), rng.matrix(4, 5, complex: complex))
            for _ in 1..<rank {
                a = FactorizationOracle.add(
                    a, FactorizationOracle.kron(rng.matrix(3, 2, complex: complex), rng.matrix(4, 5, complex: complex)))
            }
            let fit = try factorizeForTest(a, complex: complex, shapes: factorShapes(pairs), rank: rank)
            #expect(fit.relativeError < 1e-13, "rank \(rank): \(fit.relativeError)")
            #expect(FactorizationOracle.distance(fit.reconstruction, a) / FactorizationOracle.norm(a) < 1e-13)
        }
    }

    /// Balanced norms: every factor has norm scale^(1/F); phase rule: in factors 1…F−1 the first entry of
    /// (nearly) largest modulus is real positive.
    static func expectCanonical(_ factors: [FactorMatrix], scale: Double) {
        let expected = Foundation.pow(scale, 1 / Double(factors.count))
        for (f, factor) in factors.enumerated() {
            #expect(abs(FactorizationOracle.norm(factor) - expected) <= 1e-12 * expected, "norm of factor \(f)")
            guard f > 0 else { continue }
            let largest = factor.elements.map(\.magnitude).max()!
            let reference = factor.elements.first { $0.magnitude >= largest * (1 - 1e-9) }!
            #expect(reference.real > 0 && abs(reference.imaginary) <= 1e-14 * largest, "phase of factor \(f)")
        }
    }
}
