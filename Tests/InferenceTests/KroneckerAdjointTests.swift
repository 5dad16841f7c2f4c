import KRUInference
import Testing

/// Oracle 3: the defining identity of the adjoint, ⟨y, K·x⟩ = ⟨Kᴴ·y, x⟩, with both sides from the
/// kernels and the inner products in Double. Independent of any matrix, so it also covers large shapes.
@Suite struct KroneckerAdjointTests {
    static let cases = KroneckerCases.denseOracle + KroneckerCases.large

    @Test(arguments: cases)
    func realAdjointIdentity(testCase: KroneckerCase) throws {
        var fixture = KroneckerFixture(testCase)
        let op = try RealKroneckerOperator(factors: fixture.realFactors())
        let workspace = try op.makeWorkspace(maxBatchSize: 1)
        let x = fixture.rng.floats(op.shape.inputLength)
        let y = fixture.rng.floats(op.shape.outputLength)
        let kx = runReal(op, x, batchSize: 1, workspace: workspace)
        let khy = runReal(op, adjoint: true, y, batchSize: 1, workspace: workspace)
        Self.expectIdentity(
            y: oracleVector(real: y, y.indices), kx: oracleVector(real: kx, kx.indices),
            khy: oracleVector(real: khy, khy.indices), x: oracleVector(real: x, x.indices))
    }

    @Test(arguments: cases)
    func complexAdjointIdentity(testCase: KroneckerCase) throws {
        var fixture = KroneckerFixture(testCase)
        let op = try ComplexKroneckerOperator(factors: fixture.complexFactors())
        let workspace = try op.makeWorkspace(maxBatchSize: 1)
        let (n, m) = (op.shape.inputLength, op.shape.outputLength)
        let (xr, xi) = (fixture.rng.floats(n), fixture.rng.floats(n))
        let (yr, yi) = (fixture.rng.floats(m), fixture.rng.floats(m))
        let kx = runComplex(op, real: xr, imaginary: xi, batchSize: 1, workspace: workspace)
        let khy = runComplex(op, adjoint: true, real: yr, imaginary: yi, batchSize: 1, workspace: workspace)
        Self.expectIdentity(
            y: oracleVector(real: yr, imaginary: yi, 0..<m),
            kx: oracleVector(real: kx.real, imaginary: kx.imaginary, 0..<m),
            khy: oracleVector(real: khy.real, imaginary: khy.imaginary, 0..<n),
            x: oracleVector(real: xr, imaginary: xi, 0..<n))
    }

    /// Compares the two complex inner products relative to the Cauchy–Schwarz bound of each side, the
    /// natural scale of their rounding errors.
    static func expectIdentity(y: [OracleComplex], kx: [OracleComplex], khy: [OracleComplex], x: [OracleComplex]) {
        let left = innerProduct(y, kx)
        let right = innerProduct(khy, x)
        let scale = norm(y) * norm(kx) + norm(khy) * norm(x)
        let gap = (left - right).magnitudeSquared.squareRoot() / scale
        #expect(gap < floatTolerance, "⟨y, Kx⟩ = \(left), ⟨Kᴴy, x⟩ = \(right), scaled gap \(gap)")
    }
}
