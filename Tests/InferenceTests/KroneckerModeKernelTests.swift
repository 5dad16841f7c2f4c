@testable import KRUInference
import Testing

/// Oracle: the C mode kernels compute exactly what the engine's former Swift per-pass loops computed
/// (ReferenceRealModeKernels / ReferenceComplexModeKernels, themselves checked against explicit Kronecker
/// matrices by the dense-oracle tests): bit for bit, on every instruction-set variant this machine runs, forward
/// and adjoint, real and complex, at batch sizes 1, 3 and 9, storing or adding into strided outputs.
@Suite struct KroneckerModeKernelTests {
    static let cases = KroneckerCases.modeKernel

    @Test(arguments: cases, KernelVariant.supported)
    func realMatchesReferenceBitForBit(testCase: KroneckerCase, variant: KernelVariant) throws {
        var fixture = KroneckerFixture(testCase)
        let op = try RealKroneckerOperator(factors: fixture.realFactors())
        for batch in KroneckerCases.batchSizes {
            let workspace = try op.makeWorkspace(maxBatchSize: batch)
            for adjoint in [false, true] {
                let (plan, weights, transposed) = adjoint
                    ? (op.adjointPlan, op.adjointWeights, op.forwardWeights)
                    : (op.forwardPlan, op.forwardWeights, op.adjointWeights)
                let inLength = adjoint ? op.shape.outputLength : op.shape.inputLength
                let outLength = adjoint ? op.shape.inputLength : op.shape.outputLength
                let x = fixture.rng.floats(batch * inLength)
                let expected = ReferenceChain.real(plan, weights: weights, input: x, batch: batch)
                for (stride, accumulate) in [(outLength, false), (outLength + 3, true)] {
                    let start = fixture.rng.floats(batch * stride)
                    var y = start
                    x.withUnsafeBufferPointer { xp in
                        y.withUnsafeMutableBufferPointer { yp in
                            op.multiply(plan, weights, transposed, xp.baseAddress!, batchSize: batch,
                                        into: yp.baseAddress!, stride: stride, accumulate: accumulate,
                                        workspace: workspace, variant: variant)
                        }
                    }
                    for b in 0..<batch {
                        for i in 0..<outLength {
                            let reference = expected[b * outLength + i]
                            let want = accumulate ? start[b * stride + i] + reference : reference
                            #expect(y[b * stride + i].bitPattern == want.bitPattern,
                                    "batch \(batch), adjoint \(adjoint), vector \(b), element \(i)")
                        }
                        if accumulate {
                            #expect(y[b * stride + outLength..<(b + 1) * stride]
                                        == start[b * stride + outLength..<(b + 1) * stride])
                        }
                    }
                }
            }
        }
    }

    @Test(arguments: cases, KernelVariant.supported)
    func complexMatchesReferenceBitForBit(testCase: KroneckerCase, variant: KernelVariant) throws {
        var fixture = KroneckerFixture(testCase)
        let op = try ComplexKroneckerOperator(factors: fixture.complexFactors(), chain: .perPass)
        for batch in KroneckerCases.batchSizes {
            let workspace = try op.makeWorkspace(maxBatchSize: batch)
            for adjoint in [false, true] {
                let plan = adjoint ? op.adjointPlan : op.forwardPlan
                let weights = adjoint ? (op.adjointReal, op.adjointImaginary) : (op.forwardReal, op.forwardImaginary)
                let transposed = adjoint
                    ? (op.forwardReal, op.conjugateImaginary) : (op.transposedReal, op.transposedImaginary)
                let inLength = adjoint ? op.shape.outputLength : op.shape.inputLength
                let outLength = adjoint ? op.shape.inputLength : op.shape.outputLength
                let (xr, xi) = (fixture.rng.floats(batch * inLength), fixture.rng.floats(batch * inLength))
                let expected = ReferenceChain.complex(plan, weights: weights, real: xr, imaginary: xi, batch: batch)
                for (stride, accumulate) in [(outLength, false), (outLength + 2, true)] {
                    let (startR, startI) = (fixture.rng.floats(batch * stride), fixture.rng.floats(batch * stride))
                    var (yr, yi) = (startR, startI)
                    xr.withUnsafeBufferPointer { xrp in
                        xi.withUnsafeBufferPointer { xip in
                            yr.withUnsafeMutableBufferPointer { yrp in
                                yi.withUnsafeMutableBufferPointer { yip in
                                    op.multiply(plan, weights, transposed,
                                                SplitComplexSource(real: xrp.baseAddress!, imaginary: xip.baseAddress!),
                                                batchSize: batch,
                                                into: SplitComplexDestination(real: yrp.baseAddress!,
                                                                              imaginary: yip.baseAddress!),
                                                stride: stride, accumulate: accumulate, workspace: workspace,
                                                chain: nil, variant: variant)
                                }
                            }
                        }
                    }
                    for b in 0..<batch {
                        for i in 0..<outLength {
                            let (r, m) = (expected.real[b * outLength + i], expected.imaginary[b * outLength + i])
                            let wantR = accumulate ? startR[b * stride + i] + r : r
                            let wantI = accumulate ? startI[b * stride + i] + m : m
                            #expect(yr[b * stride + i].bitPattern == wantR.bitPattern
                                        && yi[b * stride + i].bitPattern == wantI.bitPattern,
                                    "batch \(batch), adjoint \(adjoint), vector \(b), element \(i)")
                        }
                    }
                }
            }
        }
    }

    /// The chain kernel fuses multiply-adds and groups terms differently, so it agrees with the per-pass products
    /// to rounding: 1e-6 norm-wise is a few units of Float rounding over ten factors.
    @Test(arguments: KroneckerCases.batchSizes)
    func chainKernelAgreesWithPerPassProducts(batchSize: Int) throws {
        var fixture = KroneckerFixture(KroneckerCase(Array(repeating: (2, 2), count: 10), seed: 17))
        let factors = fixture.complexFactors()
        let automatic = try ComplexKroneckerOperator(factors: factors)
        let perPass = try ComplexKroneckerOperator(factors: factors, chain: .perPass)
        let workspace = try perPass.makeWorkspace(maxBatchSize: batchSize)
        let length = perPass.shape.inputLength
        let (xr, xi) = (fixture.rng.floats(batchSize * length), fixture.rng.floats(batchSize * length))
        let viaChain = runComplex(automatic, real: xr, imaginary: xi, batchSize: batchSize, workspace: workspace)
        let viaPasses = runComplex(perPass, real: xr, imaginary: xi, batchSize: batchSize, workspace: workspace)
        let error = relativeError(
            oracleVector(real: viaChain.real, imaginary: viaChain.imaginary, viaChain.real.indices),
            oracleVector(real: viaPasses.real, imaginary: viaPasses.imaginary, viaPasses.real.indices))
        #expect(error < 1e-6, "relative difference \(error)")
    }
}

/// Runs a plan pass by pass through the reference loops, each pass into a fresh array.
enum ReferenceChain {
    static func real(_ plan: KroneckerPlan, weights: [Float], input: [Float], batch: Int) -> [Float] {
        var source = input
        for pass in plan.passes {
            var destination = [Float](repeating: .nan, count: batch * pass.outerCount * pass.rows * pass.innerCount)
            source.withUnsafeBufferPointer { s in
                destination.withUnsafeMutableBufferPointer { d in
                    weights.withUnsafeBufferPointer { w in
                        ReferenceRealModeKernels.run(pass, batchSize: batch, weights: w.baseAddress!,
                                                     source: s.baseAddress!, destination: d.baseAddress!)
                    }
                }
            }
            source = destination
        }
        return source
    }

    static func complex(
        _ plan: KroneckerPlan, weights: ([Float], [Float]), real: [Float], imaginary: [Float], batch: Int
    ) -> (real: [Float], imaginary: [Float]) {
        var (sr, si) = (real, imaginary)
        for pass in plan.passes {
            let count = batch * pass.outerCount * pass.rows * pass.innerCount
            var (dr, di) = ([Float](repeating: .nan, count: count), [Float](repeating: .nan, count: count))
            sr.withUnsafeBufferPointer { srp in
                si.withUnsafeBufferPointer { sip in
                    dr.withUnsafeMutableBufferPointer { drp in
                        di.withUnsafeMutableBufferPointer { dip in
                            weights.0.withUnsafeBufferPointer { wr in
                                weights.1.withUnsafeBufferPointer { wi in
                                    ReferenceComplexModeKernels.run(
                                        pass, batchSize: batch,
                                        weights: SplitComplexSource(real: wr.baseAddress!, imaginary: wi.baseAddress!),
                                        source: SplitComplexSource(real: srp.baseAddress!, imaginary: sip.baseAddress!),
                                        destination: SplitComplexDestination(real: drp.baseAddress!,
                                                                             imaginary: dip.baseAddress!))
                                }
                            }
                        }
                    }
                }
            }
            (sr, si) = (dr, di)
        }
        return (sr, si)
    }
}
