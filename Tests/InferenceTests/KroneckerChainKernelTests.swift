@testable import KRUInference
import Testing

/// The C chain kernel for all-2 × 2 operators (ComplexChainKernel), every instruction-set variant this
/// machine can run, forced one at a time: against the dense Kronecker matrix up to N = 256 and against
/// product vectors (⊗W_f)(⊗x_f) = ⊗(W_f·x_f) up to N = 4096, forward and adjoint, batch sizes 1 and 3.
/// The factor counts cover every split of the chain into sweeps each variant has (one sweep up to
/// three or more), including the smallest chain a variant takes.
@Suite struct KroneckerChainKernelTests {
    static let variants = KernelVariant.supported
    static let batchSizes = [1, 3]

    static func twoByTwoCase(factorCount: Int, seed: UInt64) -> KroneckerCase {
        KroneckerCase(Array(repeating: (2, 2), count: factorCount), seed: seed)
    }

    /// The operator with `variant` forced; fails the test if the chain kernel would not run.
    static func makeOperator(
        _ factors: [ComplexKroneckerFactor], _ variant: KernelVariant
    ) throws -> ComplexKroneckerOperator {
        let op = try ComplexKroneckerOperator(factors: factors, chain: .variant(variant))
        #expect(op.chainKernel == ComplexChainKernel(shape: op.shape, selection: .variant(variant)))
        #expect(op.chainKernel?.variant == variant, "the \(variant) chain kernel did not run")
        return op
    }

    @Test(arguments: variants, batchSizes)
    func matchesDenseMatrix(variant: KernelVariant, batchSize: Int) throws {
        for factorCount in ComplexChainKernel.minimumFactorCount(variant)...8 {
            var fixture = KroneckerFixture(Self.twoByTwoCase(factorCount: factorCount, seed: UInt64(200 + factorCount)))
            let factors = fixture.complexFactors()
            let op = try Self.makeOperator(factors, variant)
            let dense = DenseKroneckerOracle(factors.map(OracleFactor.init))
            let n = op.shape.inputLength
            let workspace = try op.makeWorkspace(maxBatchSize: batchSize)
            for adjoint in [false, true] {
                let (xr, xi) = (fixture.rng.floats(batchSize * n), fixture.rng.floats(batchSize * n))
                let y = runComplex(op, adjoint: adjoint, real: xr, imaginary: xi, batchSize: batchSize,
                                   workspace: workspace)
                for k in 0..<batchSize {
                    let x = oracleVector(real: xr, imaginary: xi, k * n..<(k + 1) * n)
                    let expected = adjoint ? dense.adjointTimes(x) : dense.times(x)
                    let actual = oracleVector(real: y.real, imaginary: y.imaginary, k * n..<(k + 1) * n)
                    let error = relativeError(actual, expected)
                    #expect(error < floatTolerance, "F = \(factorCount), adjoint: \(adjoint), vector \(k): \(error)")
                }
            }
        }
    }

    @Test(arguments: variants, batchSizes)
    func matchesProductVectors(variant: KernelVariant, batchSize: Int) throws {
        for factorCount in 9...12 {
            var fixture = KroneckerFixture(Self.twoByTwoCase(factorCount: factorCount, seed: UInt64(300 + factorCount)))
            let factors = fixture.complexFactors()
            let op = try Self.makeOperator(factors, variant)
            let oracleFactors = factors.map(OracleFactor.init)
            let n = op.shape.inputLength
            let workspace = try op.makeWorkspace(maxBatchSize: batchSize)
            for adjoint in [false, true] {
                // A different product vector per batch entry, so a mix-up between vectors shows.
                var inputs: [[OracleComplex]] = [], expected: [[OracleComplex]] = []
                for _ in 0..<batchSize {
                    let real = factors.map { _ in fixture.rng.floats(2) }
                    let imaginary = factors.map { _ in fixture.rng.floats(2) }
                    let (input, image) = KroneckerProductVectorTests.productCase(
                        oracleFactors, real, imaginary, adjoint: adjoint)
                    inputs.append(input)
                    expected.append(image)
                }
                let y = runComplex(
                    op, adjoint: adjoint, real: inputs.flatMap { $0.map { Float($0.re) } },
                    imaginary: inputs.flatMap { $0.map { Float($0.im) } }, batchSize: batchSize, workspace: workspace)
                for k in 0..<batchSize {
                    let actual = oracleVector(real: y.real, imaginary: y.imaginary, k * n..<(k + 1) * n)
                    let error = relativeError(actual, expected[k])
                    #expect(error < floatTolerance, "F = \(factorCount), adjoint: \(adjoint), vector \(k): \(error)")
                }
            }
        }
    }

    /// Which operators get the chain kernel: only all-2 × 2 chains long enough for the variant, never
    /// with fast paths off; the automatic choice is the preferred variant.
    @Test func selection() throws {
        #expect(KernelVariant.portable.isSupported)
        let ten = try KroneckerShape(rows: Array(repeating: 2, count: 10), columns: Array(repeating: 2, count: 10))
        #expect(ComplexChainKernel(shape: ten, selection: .automatic)?.variant == ComplexChainKernel.preferred)
        #expect(ComplexChainKernel(shape: ten, selection: .perPass) == nil)
        for variant in Self.variants {
            #expect(ComplexChainKernel(shape: ten, selection: .variant(variant))?.variant == variant)
            let short = ComplexChainKernel.minimumFactorCount(variant) - 1
            let tooShort = try KroneckerShape(rows: Array(repeating: 2, count: short),
                                              columns: Array(repeating: 2, count: short))
            #expect(ComplexChainKernel(shape: tooShort, selection: .variant(variant)) == nil)
        }
        let mixed = try KroneckerShape(rows: [2, 2, 2, 2, 2, 2, 2, 4], columns: [2, 2, 2, 2, 2, 2, 2, 4])
        let rectangular = try KroneckerShape(rows: [2, 2, 2, 2, 2, 2, 2, 2], columns: [2, 2, 2, 2, 2, 2, 2, 1])
        for variant in KernelVariant.allCases {
            #expect(ComplexChainKernel(shape: mixed, selection: .variant(variant)) == nil)
            #expect(ComplexChainKernel(shape: rectangular, selection: .variant(variant)) == nil)
        }
        let factors = (0..<10).map { _ in
            ComplexKroneckerFactor(rows: 2, columns: 2, real: [1, 0, 0, 1], imaginary: [0, 0, 0, 0])
        }
        #expect(try ComplexKroneckerOperator(factors: factors, chain: .perPass).chainKernel == nil)
    }
}
