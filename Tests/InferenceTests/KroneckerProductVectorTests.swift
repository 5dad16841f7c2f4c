import KRUInference
import Testing

/// Oracle 2, no dense matrix needed: (⊗W_f)(⊗x_f) = ⊗(W_f·x_f), and for the adjoint
/// (⊗W_fᴴ)(⊗y_f) = ⊗(W_fᴴ·y_f). Covers shapes up to N = 4096 (ten 2 × 2 factors, 64 × 64 pairs).
@Suite struct KroneckerProductVectorTests {
    static let cases = KroneckerCases.large + KroneckerCases.denseOracle.prefix(14)

    @Test(arguments: cases, [false, true])
    func realProductVectors(testCase: KroneckerCase, adjoint: Bool) throws {
        var fixture = KroneckerFixture(testCase)
        let factors = fixture.realFactors()
        let op = try RealKroneckerOperator(factors: factors)
        let workspace = try op.makeWorkspace(maxBatchSize: 1)
        let pieces = factors.map { fixture.rng.floats(adjoint ? $0.rows : $0.columns) }
        let (input, expected) = Self.productCase(factors.map(OracleFactor.init), pieces, nil, adjoint: adjoint)

        let output = runReal(op, adjoint: adjoint, input.map { Float($0.re) }, batchSize: 1, workspace: workspace)
        let error = relativeError(oracleVector(real: output, output.indices), expected)
        #expect(error < floatTolerance, "relative error \(error)")
    }

    @Test(arguments: cases, [false, true])
    func complexProductVectors(testCase: KroneckerCase, adjoint: Bool) throws {
        var fixture = KroneckerFixture(testCase)
        let factors = fixture.complexFactors()
        let op = try ComplexKroneckerOperator(factors: factors)
        let workspace = try op.makeWorkspace(maxBatchSize: 1)
        let lengths = factors.map { adjoint ? $0.rows : $0.columns }
        let real = lengths.map { fixture.rng.floats($0) }
        let imaginary = lengths.map { fixture.rng.floats($0) }
        let (input, expected) = Self.productCase(factors.map(OracleFactor.init), real, imaginary, adjoint: adjoint)

        let output = runComplex(
            op, adjoint: adjoint, real: input.map { Float($0.re) }, imaginary: input.map { Float($0.im) },
            batchSize: 1, workspace: workspace)
        let actual = oracleVector(real: output.real, imaginary: output.imaginary, output.real.indices)
        let error = relativeError(actual, expected)
        #expect(error < floatTolerance, "relative error \(error)")
    }

    /// Builds x = ⊗x_f and the expected ⊗(W_f·x_f) (or ⊗(W_fᴴ·x_f)) in Double. The kernel receives x
    /// rounded to Float; that rounding (≤ 6e-8 relative per entry) is far inside the tolerance.
    static func productCase(
        _ factors: [OracleFactor], _ real: [[Float]], _ imaginary: [[Float]]?, adjoint: Bool
    ) -> (input: [OracleComplex], expected: [OracleComplex]) {
        let pieces = real.indices.map { f in
            oracleVector(real: real[f], imaginary: imaginary?[f], real[f].indices)
        }
        let input = oracleKroneckerVector(pieces)
        let images = zip(factors, pieces).map { oracleFactorTimes($0, $1, adjoint: adjoint) }
        return (input, oracleKroneckerVector(images))
    }
}
