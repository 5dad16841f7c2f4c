import KRUInference

/// P × Q of one factor in a test case.
struct FactorSize: Sendable, Hashable {
    let rows: Int
    let columns: Int
}

/// A list of factor sizes plus the seed its random factors and vectors come from.
struct KroneckerCase: Sendable, CustomStringConvertible {
    let sizes: [FactorSize]
    let seed: UInt64

    var inputLength: Int { sizes.reduce(1) { $0 * $1.columns } }
    var outputLength: Int { sizes.reduce(1) { $0 * $1.rows } }
    var description: String { sizes.map { "\($0.rows)x\($0.columns)" }.joined(separator: "⊗") }

    init(_ sizes: [(Int, Int)], seed: UInt64) {
        self.sizes = sizes.map { FactorSize(rows: $0.0, columns: $0.1) }
        self.seed = seed
    }
}

enum KroneckerCases {
    /// Hand-picked shapes that catch convention bugs (unequal rectangular factors, 1 × 1 factors,
    /// F = 1, expanding and shrinking factors) plus seeded random lists with F = 1 … 5 and
    /// ∏P, ∏Q ≤ 256, small enough for the dense oracle.
    static let denseOracle: [KroneckerCase] = {
        let fixed: [[(Int, Int)]] = [
            [(2, 3), (4, 2), (3, 5)],
            [(3, 2), (2, 4), (4, 3)],
            [(2, 3), (4, 5)],
            [(1, 1)],
            [(5, 3)],
            [(1, 7)],
            [(6, 1)],
            [(1, 1), (3, 2), (1, 1)],
            [(1, 4), (4, 1)],
            [(4, 1), (1, 4)],
            [(2, 1), (1, 3), (3, 2), (2, 2), (1, 2)],
            [(2, 2), (2, 2), (2, 2), (2, 2), (2, 2)],
            [(4, 4), (3, 5)],
            [(2, 2), (4, 4), (2, 3)],
        ]
        var cases = fixed.enumerated().map { KroneckerCase($1, seed: UInt64(1000 + $0)) }
        var rng = SplitMix64(seed: 0xC0FFEE)
        while cases.count < fixed.count + 40 {
            let count = rng.nextInt(in: 1...5)
            let sizes = (0..<count).map { _ in (rng.nextInt(in: 1...5), rng.nextInt(in: 1...5)) }
            let candidate = KroneckerCase(sizes, seed: rng.next())
            if candidate.inputLength <= 256 && candidate.outputLength <= 256 { cases.append(candidate) }
        }
        return cases
    }()

    /// Shapes too large for a dense matrix, checked through product vectors instead.
    static let large: [KroneckerCase] = [
        KroneckerCase(Array(repeating: (2, 2), count: 10), seed: 1),
        KroneckerCase([(4, 4), (4, 4), (4, 4), (4, 4), (4, 4)], seed: 2),
        KroneckerCase([(8, 8), (3, 5), (2, 2), (16, 16)], seed: 3),
        KroneckerCase([(2, 3), (4, 2), (3, 5), (7, 6), (1, 1), (5, 4)], seed: 4),
        KroneckerCase([(64, 64), (64, 64)], seed: 5),
    ]

    /// For the C mode kernels: runs of every length class (1, 2, 3, 4–7, 8–15, 16+) and rows of every lane width
    /// in the last mode, rectangular factors, 2 × 2 and 4 × 4 factors in every position, and the zoo's shapes.
    static let modeKernel: [KroneckerCase] = fastPath + denseOracle.prefix(20) + [
        KroneckerCase([(4, 4), (4, 4), (8, 8)], seed: 21),
        KroneckerCase([(8, 8), (16, 16)], seed: 22),
        KroneckerCase([(16, 16), (8, 8)], seed: 23),
        KroneckerCase([(3, 5), (17, 19)], seed: 24),
        KroneckerCase([(19, 17), (2, 3), (5, 1)], seed: 25),
        KroneckerCase([(33, 30), (1, 2)], seed: 26),
    ]

    /// Shapes containing 2 × 2 and 4 × 4 factors in every position, mixed with general ones.
    static let fastPath: [KroneckerCase] = [
        KroneckerCase([(2, 2)], seed: 11),
        KroneckerCase([(4, 4)], seed: 12),
        KroneckerCase([(2, 2), (2, 2), (2, 2)], seed: 13),
        KroneckerCase([(4, 4), (3, 5), (2, 2)], seed: 14),
        KroneckerCase([(2, 3), (2, 2), (4, 4), (1, 1)], seed: 15),
        KroneckerCase([(2, 2), (4, 4), (2, 2), (4, 4)], seed: 16),
        KroneckerCase(Array(repeating: (2, 2), count: 10), seed: 17),
        KroneckerCase([(4, 4), (4, 4), (4, 4)], seed: 18),
    ]

    static let batchSizes = [1, 3, 9]
}

/// Seeded random factors and vectors for a case.
struct KroneckerFixture {
    var rng: SplitMix64
    let testCase: KroneckerCase

    init(_ testCase: KroneckerCase) {
        self.testCase = testCase
        rng = SplitMix64(seed: testCase.seed)
    }

    mutating func realFactors() -> [RealKroneckerFactor] {
        testCase.sizes.map {
            RealKroneckerFactor(rows: $0.rows, columns: $0.columns, values: rng.floats($0.rows * $0.columns))
        }
    }

    mutating func complexFactors() -> [ComplexKroneckerFactor] {
        testCase.sizes.map {
            ComplexKroneckerFactor(
                rows: $0.rows, columns: $0.columns,
                real: rng.floats($0.rows * $0.columns), imaginary: rng.floats($0.rows * $0.columns))
        }
    }
}

/// Number of floats appended after each output so the tests can see that nothing past the batch is written.
let guardLength = 5
let guardValue = Float(-12345)
