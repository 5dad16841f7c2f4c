@testable import KRUInference
import Testing

/// Oracle 4: operators whose 2 × 2 and 4 × 4 factors run the specialised loops agree with the same
/// operators forced onto the general loop, forward and adjoint, real and complex, at batch sizes 1, 3, 9.
@Suite struct KroneckerFastPathTests {
    @Test(arguments: KroneckerCases.fastPath, KroneckerCases.batchSizes)
    func realFastPathsMatchGeneralPath(testCase: KroneckerCase, batchSize: Int) throws {
        var fixture = KroneckerFixture(testCase)
        let factors = fixture.realFactors()
        let fast = try RealKroneckerOperator(factors: factors)
        let general = try RealKroneckerOperator(factors: factors, allowFastPaths: false)
        Self.expectKernels(fast: fast.forwardPlan, general: general.forwardPlan, testCase)
        Self.expectKernels(fast: fast.adjointPlan, general: general.adjointPlan, testCase)
        let workspace = try fast.makeWorkspace(maxBatchSize: batchSize)

        for adjoint in [false, true] {
            let length = adjoint ? fast.shape.outputLength : fast.shape.inputLength
            let x = fixture.rng.floats(batchSize * length)
            let viaFast = runReal(fast, adjoint: adjoint, x, batchSize: batchSize, workspace: workspace)
            let viaGeneral = runReal(general, adjoint: adjoint, x, batchSize: batchSize, workspace: workspace)
            let error = relativeError(
                oracleVector(real: viaFast, viaFast.indices), oracleVector(real: viaGeneral, viaGeneral.indices))
            #expect(error < 1e-6, "adjoint: \(adjoint), relative difference \(error)")
        }
    }

    @Test(arguments: KroneckerCases.fastPath, KroneckerCases.batchSizes)
    func complexFastPathsMatchGeneralPath(testCase: KroneckerCase, batchSize: Int) throws {
        var fixture = KroneckerFixture(testCase)
        let factors = fixture.complexFactors()
        // The Swift specialised loops, and what the operator runs by default: the same loops, or for all-2 × 2
        // chains the C chain kernel (ComplexChainKernel). The kernel fuses multiply-adds (FMA) and applies
        // the factors in another order, so it agrees with the general loop to rounding, not to the bit;
        // 1e-6 norm-wise is a few units of Float rounding over ten factors.
        let perPass = try ComplexKroneckerOperator(factors: factors, allowFastPaths: true, chain: .perPass)
        let automatic = try ComplexKroneckerOperator(factors: factors)
        let general = try ComplexKroneckerOperator(factors: factors, allowFastPaths: false)
        Self.expectKernels(fast: perPass.forwardPlan, general: general.forwardPlan, testCase)
        Self.expectKernels(fast: perPass.adjointPlan, general: general.adjointPlan, testCase)
        #expect(perPass.chainKernel == nil && general.chainKernel == nil)
        let workspace = try perPass.makeWorkspace(maxBatchSize: batchSize)

        for adjoint in [false, true] {
            let length = adjoint ? general.shape.outputLength : general.shape.inputLength
            let (xr, xi) = (fixture.rng.floats(batchSize * length), fixture.rng.floats(batchSize * length))
            let viaGeneral = runComplex(
                general, adjoint: adjoint, real: xr, imaginary: xi, batchSize: batchSize, workspace: workspace)
            for fast in [perPass, automatic] {
                let viaFast = runComplex(
                    fast, adjoint: adjoint, real: xr, imaginary: xi, batchSize: batchSize, workspace: workspace)
                let error = relativeError(
                    oracleVector(real: viaFast.real, imaginary: viaFast.imaginary, viaFast.real.indices),
                    oracleVector(real: viaGeneral.real, imaginary: viaGeneral.imaginary, viaGeneral.real.indices))
                let kernel = fast.chainKernel.map { "chain kernel \($0.variant)" } ?? "per-pass loops"
                #expect(error < 1e-6, "\(kernel), adjoint: \(adjoint), relative difference \(error)")
            }
        }
    }

    /// Guards against a test that passes because no fast path ran: every 2 × 2 and 4 × 4 factor must use
    /// its loop in the fast plan, and nothing but the general loop may appear in the forced plan.
    static func expectKernels(fast: KroneckerPlan, general: KroneckerPlan, _ testCase: KroneckerCase) {
        for pass in fast.passes {
            let size = testCase.sizes[pass.factor]
            let expected: KroneckerModeKernel =
                size == FactorSize(rows: 2, columns: 2) ? .twoByTwo
                : size == FactorSize(rows: 4, columns: 4) ? .fourByFour : .general
            #expect(pass.kernel == expected, "factor \(pass.factor) (\(size.rows)×\(size.columns))")
        }
        #expect(general.passes.allSatisfy { $0.kernel == .general })
    }
}
