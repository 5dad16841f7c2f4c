import KRUConvert
import Testing

/// Input handling: validation errors, trivial cases, auto shapes, progress reports.
struct FactorizationInputTests {
    typealias Shape = NearestKronecker.FactorShape

    @Test func rejectsBadInput() {
        let a = NearestKronecker.Matrix<Double>(rows: 4, columns: 6, elements: Array(repeating: 1, count: 24))
        func error(_ body: () throws -> Void) -> KroneckerFactorizationError? {
            do { try body() } catch let e as KroneckerFactorizationError { return e } catch { return nil }
            return nil
        }
        #expect(error { _ = try NearestKronecker.factorize(a, shapes: []) } == .noFactors)
        #expect(error { _ = try NearestKronecker.factorize(a, shapes: factorShapes([(2, 3), (2, 2)])) } == nil)
        #expect(
            error { _ = try NearestKronecker.factorize(a, shapes: factorShapes([(2, 2), (2, 2)])) }
                == .shapeMismatch(rowProduct: 4, columnProduct: 4, rows: 4, columns: 6))
        #expect(
            error { _ = try NearestKronecker.factorize(a, shapes: factorShapes([(2, 0), (2, 6)])) }
                == .invalidFactorShape(factor: 0, rows: 2, columns: 0))
        #expect(
            error { _ = try NearestKronecker.factorize(a, shapes: factorShapes([(2, 3), (2, 2)]), rank: 5) }
                == .invalidRank(rank: 5, maximum: 4))
        #expect(
            error { _ = try NearestKronecker.factorize(a, shapes: factorShapes([(2, 3), (2, 2)]), rank: 0) }
                == .invalidRank(rank: 0, maximum: 4))
        var nan = a
        nan.elements[7] = .nan
        #expect(
            error { _ = try NearestKronecker.factorize(nan, shapes: factorShapes([(2, 3), (2, 2)])) }
                == .nonFiniteEntry(row: 1, column: 1))
        let short = NearestKronecker.Matrix<Double>(rows: 4, columns: 6, elements: [1, 2])
        #expect(
            error { _ = try NearestKronecker.factorize(short, shapes: factorShapes([(2, 3), (2, 2)])) }
                == .elementCountMismatch(expected: 24, actual: 2))
        #expect(
            error { _ = try NearestKronecker.factorize(a, shapes: factorShapes([(Int.max, 1), (2, 6)])) } != nil)
        #expect(
            error {
                _ = try NearestKronecker.factorize(
                    a, shapes: factorShapes([(2, 3), (2, 2)]), options: .init(tolerance: -1))
            } == .invalidOption(name: "tolerance", reason: "must be a finite number ≥ 0"))
        #expect(
            error {
                _ = try NearestKronecker.Matrix<NearestKronecker.Complex>(rows: 2, columns: 2, interleaved: [1, 2, 3])
            } == .elementCountMismatch(expected: 8, actual: 3))
    }

    @Test func complexStorageConversions() throws {
        let interleaved: [Double] = [1, 2, 3, 4, 5, 6, 7, 8]
        let m = try NearestKronecker.Matrix<NearestKronecker.Complex>(rows: 2, columns: 2, interleaved: interleaved)
        #expect(m[1, 0] == NearestKronecker.Complex(5, 6))
        #expect(m.interleaved == interleaved)
        let split = try NearestKronecker.Matrix<NearestKronecker.Complex>(
            rows: 2, columns: 2, real: m.realPart, imaginary: m.imaginaryPart)
        #expect(split == m)
    }

    @Test func trivialCases() throws {
        let zero = NearestKronecker.Matrix<Double>(rows: 6, columns: 6, elements: Array(repeating: 0, count: 36))
        let z = try NearestKronecker.factorize(zero, shapes: factorShapes([(2, 2), (3, 3)]), rank: 2)
        #expect(z.error == 0 && z.relativeError == 0 && z.terms.count == 2)
        #expect(z.factors.allSatisfy { $0.elements.allSatisfy { $0 == 0 } })
        let a = NearestKronecker.Matrix<Double>(rows: 2, columns: 3, elements: [1, 2, 3, 4, 5, 6])
        let single = try NearestKronecker.factorize(a, shapes: factorShapes([(2, 3)]))
        #expect(single.factors[0].elements == a.elements && single.error == 0)
        // 1×1 factors are allowed: B is a scalar and the fit is exact.
        let scalar = try NearestKronecker.factorize(a, shapes: factorShapes([(1, 1), (2, 3)]))
        #expect(scalar.relativeError < 1e-15)
    }

    @Test func autoShapes() throws {
        #expect(try NearestKronecker.autoShapes(size: 1024, rule: .balancedPair) == [.square(32), .square(32)])
        #expect(try NearestKronecker.autoShapes(size: 96, rule: .balancedPair) == [.square(8), .square(12)])
        #expect(try NearestKronecker.autoShapes(size: 13, rule: .balancedPair) == [.square(1), .square(13)])
        #expect(try NearestKronecker.autoShapes(size: 1024, rule: .twoByTwoChain)
            == Array(repeating: .square(2), count: 10))
        #expect(throws: KroneckerFactorizationError.self) {
            try NearestKronecker.autoShapes(size: 96, rule: .twoByTwoChain)
        }
        #expect(try NearestKronecker.autoShapes(size: 12, rule: .primeChain) == [.square(2), .square(2), .square(3)])
        #expect(try NearestKronecker.autoShapes(size: 1024, rule: .balanced(factorCount: 3))
            == [.square(8), .square(8), .square(16)])
        #expect(try NearestKronecker.autoShapes(size: 4096, rule: .balanced(factorCount: 3))
            == [.square(16), .square(16), .square(16)])
        #expect(try NearestKronecker.autoShapes(size: 210, rule: .balanced(factorCount: 2))
            == [.square(14), .square(15)])
        #expect(throws: KroneckerFactorizationError.self) {
            try NearestKronecker.autoShapes(size: 12, rule: .balanced(factorCount: 4))
        }
        #expect(NearestKronecker.FactorShape(rows: 2, columns: 3).description == "2×3")
    }

    /// Progress fractions never decrease, stay in [0, 1] and end at exactly 1 with `.finished`.
    @Test(arguments: [[(4, 4), (4, 4)], [(2, 2), (2, 2), (4, 4)]])
    func progressIsMonotone(pairs: [(Int, Int)]) throws {
        var rng = SplitMix64(state: 6)
        let a = FactorizationOracle.real(
            rng.matrix(pairs.reduce(1) { $0 * $1.0 }, pairs.reduce(1) { $0 * $1.1 }, complex: false))
        var reports: [NearestKronecker.Progress] = []
        _ = try NearestKronecker.factorize(
            a, shapes: factorShapes(pairs), rank: 2, options: .init(restarts: 2, singularSolver: .lanczos),
            progress: { reports.append($0) })
        #expect(reports.count >= 3)
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.fraction <= $1.fraction })
        #expect(reports.allSatisfy { $0.fraction >= 0 && $0.fraction <= 1 })
        #expect(reports.last == NearestKronecker.Progress(fraction: 1, stage: .finished))
    }
}
