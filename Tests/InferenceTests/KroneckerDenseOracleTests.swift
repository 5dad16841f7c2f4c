import KRUInference
import Testing

/// Oracle 1: every kernel variant against the explicit dense matrix built from K[i, j] = ∏_f W_f[p_f, q_f]
/// (DenseKroneckerOracle), forward and adjoint, over unequal rectangular shapes and batch sizes 1, 3, 9.
@Suite struct KroneckerDenseOracleTests {
    @Test(arguments: KroneckerCases.denseOracle, KroneckerCases.batchSizes)
    func realOperatorMatchesDenseMatrix(testCase: KroneckerCase, batchSize: Int) throws {
        var fixture = KroneckerFixture(testCase)
        let factors = fixture.realFactors()
        let op = try RealKroneckerOperator(factors: factors)
        let dense = DenseKroneckerOracle(factors.map(OracleFactor.init))
        let (n, m) = (op.shape.inputLength, op.shape.outputLength)
        #expect(n == dense.columns && m == dense.rows)
        let workspace = try op.makeWorkspace(maxBatchSize: batchSize)

        let x = fixture.rng.floats(batchSize * n)
        let y = runReal(op, x, batchSize: batchSize, workspace: workspace)
        for k in 0..<batchSize {
            let expected = dense.times(oracleVector(real: x, k * n..<(k + 1) * n))
            let error = relativeError(oracleVector(real: y, k * m..<(k + 1) * m), expected)
            #expect(error < floatTolerance, "forward, vector \(k): relative error \(error)")
        }

        let u = fixture.rng.floats(batchSize * m)
        let v = runReal(op, adjoint: true, u, batchSize: batchSize, workspace: workspace)
        for k in 0..<batchSize {
            let expected = dense.adjointTimes(oracleVector(real: u, k * m..<(k + 1) * m))
            let error = relativeError(oracleVector(real: v, k * n..<(k + 1) * n), expected)
            #expect(error < floatTolerance, "adjoint, vector \(k): relative error \(error)")
        }
    }

    @Test(arguments: KroneckerCases.denseOracle, KroneckerCases.batchSizes)
    func complexOperatorMatchesDenseMatrix(testCase: KroneckerCase, batchSize: Int) throws {
        var fixture = KroneckerFixture(testCase)
        let factors = fixture.complexFactors()
        let op = try ComplexKroneckerOperator(factors: factors)
        let dense = DenseKroneckerOracle(factors.map(OracleFactor.init))
        let (n, m) = (op.shape.inputLength, op.shape.outputLength)
        let workspace = try op.makeWorkspace(maxBatchSize: batchSize)

        let (xr, xi) = (fixture.rng.floats(batchSize * n), fixture.rng.floats(batchSize * n))
        let y = runComplex(op, real: xr, imaginary: xi, batchSize: batchSize, workspace: workspace)
        for k in 0..<batchSize {
            let expected = dense.times(oracleVector(real: xr, imaginary: xi, k * n..<(k + 1) * n))
            let actual = oracleVector(real: y.real, imaginary: y.imaginary, k * m..<(k + 1) * m)
            let error = relativeError(actual, expected)
            #expect(error < floatTolerance, "forward, vector \(k): relative error \(error)")
        }

        let (ur, ui) = (fixture.rng.floats(batchSize * m), fixture.rng.floats(batchSize * m))
        let v = runComplex(op, adjoint: true, real: ur, imaginary: ui, batchSize: batchSize, workspace: workspace)
        for k in 0..<batchSize {
            let expected = dense.adjointTimes(oracleVector(real: ur, imaginary: ui, k * m..<(k + 1) * m))
            let actual = oracleVector(real: v.real, imaginary: v.imaginary, k * n..<(k + 1) * n)
            let error = relativeError(actual, expected)
            #expect(error < floatTolerance, "adjoint, vector \(k): relative error \(error)")
        }
    }

    /// The smallest case worked by hand, so a reader can see the convention: for B (2×1) ⊗ C (1×2),
    /// K[p0·1 + p1, q0·2 + q1] = B[p0, q0]·C[p1, q1] gives the 2×2 matrix [[b0c0, b0c1], [b1c0, b1c1]].
    @Test func handWorkedOuterProduct() throws {
        let b = RealKroneckerFactor(rows: 2, columns: 1, values: [2, 3])
        let c = RealKroneckerFactor(rows: 1, columns: 2, values: [5, 7])
        let op = try RealKroneckerOperator(factors: [b, c])
        let workspace = try op.makeWorkspace(maxBatchSize: 1)
        // K = [[10, 14], [15, 21]]; K·(1, 10) = (150, 225).
        #expect(runReal(op, [1, 10], batchSize: 1, workspace: workspace) == [150, 225])
        // Kᵀ·(1, 10) = (10 + 150, 14 + 210).
        #expect(runReal(op, adjoint: true, [1, 10], batchSize: 1, workspace: workspace) == [160, 224])
    }
}
