import KRUConvert
import Testing

/// Metamorphic relations (`reference/kronecker.md` §5.7): scaling, transposition, conjugation, unitary rotations
/// and factor-order permutation change the answer in known ways and leave errors unchanged.
struct FactorizationMetamorphicTests {
    static let shapeLists: [[(Int, Int)]] = [[(2, 3), (4, 5)], [(3, 2), (2, 4), (2, 3)]]

    /// A → cA scales λ and the error by |c| and keeps the factors up to phase.
    @Test(arguments: [false, true])
    func scaling(complex: Bool) throws {
        var rng = SplitMix64(state: 17)
        let c = complex ? FactorComplex(-1.5, 2) : FactorComplex(-2.5)
        for pairs in Self.shapeLists {
            let a = rng.matrix(pairs.reduce(1) { $0 * $1.0 }, pairs.reduce(1) { $0 * $1.1 }, complex: complex)
            let base = try factorizeForTest(a, complex: complex, shapes: factorShapes(pairs))
            let scaled = try factorizeForTest(
                FactorizationOracle.scaled(a, by: c), complex: complex, shapes: factorShapes(pairs))
            #expect(abs(scaled.scales[0] - c.magnitude * base.scales[0]) <= 1e-10 * scaled.scales[0])
            #expect(abs(scaled.error - c.magnitude * base.error) <= 1e-10 * scaled.inputNorm)
            #expect(abs(scaled.relativeError - base.relativeError) < 1e-10)
            for f in pairs.indices {
                #expect(abs(FactorizationOracle.parallelism(scaled.factors[f], base.factors[f]) - 1) < 1e-9)
            }
        }
    }

    /// Huge and tiny magnitudes (1e±200) give the same relative answer: the input is normalised internally.
    @Test func extremeMagnitudes() throws {
        var rng = SplitMix64(state: 4)
        let pairs = [(2, 3), (3, 2), (2, 2)]
        let a = rng.matrix(12, 12, complex: false)
        let base = try factorizeForTest(a, complex: false, shapes: factorShapes(pairs))
        for c in [1e200, 1e-200] {
            let fit = try factorizeForTest(
                FactorizationOracle.scaled(a, by: FactorComplex(c)), complex: false, shapes: factorShapes(pairs))
            #expect(abs(fit.relativeError - base.relativeError) < 1e-12)
            #expect(abs(fit.scales[0] / c - base.scales[0]) <= 1e-12 * base.scales[0])
        }
    }

    /// NKP(Aᵀ) with transposed shapes = transposed factors, same error.
    @Test(arguments: [false, true])
    func transposition(complex: Bool) throws {
        var rng = SplitMix64(state: 18)
        for pairs in Self.shapeLists {
            let a = rng.matrix(pairs.reduce(1) { $0 * $1.0 }, pairs.reduce(1) { $0 * $1.1 }, complex: complex)
            let base = try factorizeForTest(a, complex: complex, shapes: factorShapes(pairs))
            let swapped = pairs.map { ($0.1, $0.0) }
            let t = try factorizeForTest(
                FactorizationOracle.transpose(a), complex: complex, shapes: factorShapes(swapped))
            #expect(abs(t.error - base.error) <= 1e-10 * base.inputNorm)
            for f in pairs.indices {
                let p = FactorizationOracle.parallelism(t.factors[f], FactorizationOracle.transpose(base.factors[f]))
                #expect(abs(p - 1) < 1e-9)
            }
        }
    }

    /// NKP(conj A) = conjugated factors, same error.
    @Test func conjugation() throws {
        var rng = SplitMix64(state: 19)
        for pairs in Self.shapeLists {
            let a = rng.matrix(pairs.reduce(1) { $0 * $1.0 }, pairs.reduce(1) { $0 * $1.1 }, complex: true)
            let base = try factorizeForTest(a, complex: true, shapes: factorShapes(pairs))
            let c = try factorizeForTest(FactorizationOracle.conjugate(a), complex: true, shapes: factorShapes(pairs))
            #expect(abs(c.error - base.error) <= 1e-10 * base.inputNorm)
            for f in pairs.indices {
                let p = FactorizationOracle.parallelism(c.factors[f], FactorizationOracle.conjugate(base.factors[f]))
                #expect(abs(p - 1) < 1e-9)
            }
        }
    }

    /// (⊗U_f)·A·(⊗V_f) with unitary U_f, V_f leaves the error and λ unchanged and maps Ŵ_f to U_f Ŵ_f V_f. HOPM
    /// and the sequential SVD are both equivariant under these rotations (no random restarts here).
    @Test(arguments: [false, true])
    func unitaryRotations(complex: Bool) throws {
        var rng = SplitMix64(state: 20)
        for pairs in Self.shapeLists {
            let product = FactorizationOracle.kron(pairs.map { rng.matrix($0.0, $0.1, complex: complex) })
            let noise = rng.matrix(product.rows, product.columns, complex: complex)
            let a = FactorizationOracle.add(product, noise, scale: 0.4)
            let u = pairs.map { rng.unitary($0.0, complex: complex) }
            let v = pairs.map { rng.unitary($0.1, complex: complex) }
            let rotated = FactorizationOracle.multiply(
                FactorizationOracle.multiply(FactorizationOracle.kron(u), a), FactorizationOracle.kron(v))
            let options = NearestKronecker.Options(tolerance: 1e-15, maxIterations: 2000)
            let base = try factorizeForTest(a, complex: complex, shapes: factorShapes(pairs), options: options)
            let turned = try factorizeForTest(rotated, complex: complex, shapes: factorShapes(pairs), options: options)
            #expect(abs(turned.error - base.error) <= 1e-9 * base.inputNorm, "\(pairs)")
            #expect(abs(turned.scales[0] - base.scales[0]) <= 1e-9 * base.scales[0])
            for f in pairs.indices {
                let mapped = FactorizationOracle.multiply(FactorizationOracle.multiply(u[f], base.factors[f]), v[f])
                #expect(abs(FactorizationOracle.parallelism(turned.factors[f], mapped) - 1) < 1e-8, "factor \(f)")
            }
        }
    }

    /// Swapping the two factors (with the perfect-shuffle permutation of rows and columns that maps B⊗C to C⊗B)
    /// leaves the F = 2 error unchanged and swaps the factors.
    @Test(arguments: [false, true])
    func factorOrderPermutation(complex: Bool) throws {
        var rng = SplitMix64(state: 21)
        let (p0, q0, p1, q1) = (2, 3, 4, 5)
        let a = rng.matrix(p0 * p1, q0 * q1, complex: complex)
        // Row p0·P1 + p1 of A becomes row p1·P0 + p0 of A′; columns likewise.
        var shuffled = a
        for i0 in 0..<p0 {
            for i1 in 0..<p1 {
                for j0 in 0..<q0 {
                    for j1 in 0..<q1 { shuffled[i1 * p0 + i0, j1 * q0 + j0] = a[i0 * p1 + i1, j0 * q1 + j1] }
                }
            }
        }
        let base = try factorizeForTest(a, complex: complex, shapes: factorShapes([(p0, q0), (p1, q1)]))
        let swapped = try factorizeForTest(shuffled, complex: complex, shapes: factorShapes([(p1, q1), (p0, q0)]))
        #expect(abs(swapped.error - base.error) <= 1e-12 * base.inputNorm)
        #expect(abs(FactorizationOracle.parallelism(swapped.factors[0], base.factors[1]) - 1) < 1e-10)
        #expect(abs(FactorizationOracle.parallelism(swapped.factors[1], base.factors[0]) - 1) < 1e-10)
    }
}
