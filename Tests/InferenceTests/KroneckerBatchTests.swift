import KRUInference
import Testing

/// Oracle 5: a batch of 9 batch-major vectors gives, vector by vector, exactly what 9 single applies
/// give. The batch only lengthens each pass's outer loop, so the arithmetic per element is identical and
/// the comparison is bit for bit.
@Suite struct KroneckerBatchTests {
    static let cases = Array(KroneckerCases.denseOracle.prefix(24)) + KroneckerCases.fastPath
    static let batchSize = 9

    @Test(arguments: cases)
    func realBatchEqualsPerVector(testCase: KroneckerCase) throws {
        var fixture = KroneckerFixture(testCase)
        let op = try RealKroneckerOperator(factors: fixture.realFactors())
        let workspace = try op.makeWorkspace(maxBatchSize: Self.batchSize)
        for adjoint in [false, true] {
            let (n, m) = adjoint
                ? (op.shape.outputLength, op.shape.inputLength) : (op.shape.inputLength, op.shape.outputLength)
            let x = fixture.rng.floats(Self.batchSize * n)
            let batched = runReal(op, adjoint: adjoint, x, batchSize: Self.batchSize, workspace: workspace)
            for k in 0..<Self.batchSize {
                let single = runReal(op, adjoint: adjoint, Array(x[k * n..<(k + 1) * n]), batchSize: 1,
                                     workspace: workspace)
                #expect(Array(batched[k * m..<(k + 1) * m]) == single, "adjoint: \(adjoint), vector \(k)")
            }
        }
    }

    @Test(arguments: cases)
    func complexBatchEqualsPerVector(testCase: KroneckerCase) throws {
        var fixture = KroneckerFixture(testCase)
        let op = try ComplexKroneckerOperator(factors: fixture.complexFactors())
        let workspace = try op.makeWorkspace(maxBatchSize: Self.batchSize)
        for adjoint in [false, true] {
            let (n, m) = adjoint
                ? (op.shape.outputLength, op.shape.inputLength) : (op.shape.inputLength, op.shape.outputLength)
            let (xr, xi) = (fixture.rng.floats(Self.batchSize * n), fixture.rng.floats(Self.batchSize * n))
            let batched = runComplex(
                op, adjoint: adjoint, real: xr, imaginary: xi, batchSize: Self.batchSize, workspace: workspace)
            for k in 0..<Self.batchSize {
                let range = k * n..<(k + 1) * n
                let single = runComplex(
                    op, adjoint: adjoint, real: Array(xr[range]), imaginary: Array(xi[range]), batchSize: 1,
                    workspace: workspace)
                #expect(Array(batched.real[k * m..<(k + 1) * m]) == single.real, "adjoint: \(adjoint), vector \(k)")
                #expect(
                    Array(batched.imaginary[k * m..<(k + 1) * m]) == single.imaginary,
                    "adjoint: \(adjoint), vector \(k)")
            }
        }
    }

    /// A workspace sized for a large batch serves smaller batches, and batch size 0 writes nothing.
    @Test func smallerBatchesAndEmptyBatch() throws {
        var fixture = KroneckerFixture(KroneckerCase([(2, 3), (4, 2), (3, 5)], seed: 77))
        let op = try RealKroneckerOperator(factors: fixture.realFactors())
        let workspace = try op.makeWorkspace(maxBatchSize: 9)
        let x = fixture.rng.floats(2 * op.shape.inputLength)
        let two = runReal(op, x, batchSize: 2, workspace: workspace)
        #expect(two.count == 2 * op.shape.outputLength)
        #expect(runReal(op, [], batchSize: 0, workspace: workspace).isEmpty)
    }
}
