/// How a recurrent matrix is factored, as the `--factors` option of `kru train`, `kru finetune`, `kru convert` and
/// `kru params` spells it — one grammar for all of them:
///
/// - `none`: dense, no Kronecker factors;
/// - `auto`: two square factors as balanced as N allows (512 → 16, 32; 1024 → 32, 32);
/// - `auto2`: log₂N square 2 × 2 factors (the KRU paper's cheapest recurrence; N a power of two);
/// - square sizes `4x4x8` (factor 0 first, the most significant index digit, as `numpy.kron`);
/// - shapes `2:3x3:2`, P:Q per factor, for rectangular factors (∏P = ∏Q = N); both forms mix (`2x3:4x4:3`).
///
/// The text a specification prints (``description``) parses back to the same specification.
public enum FactorSpecification: Hashable, Sendable, CustomStringConvertible {
    case none
    case automatic(AutomaticFactors)
    case shapes([KroneckerFactorShape])

    /// How `auto` specifications choose square factors for an N × N matrix.
    public enum AutomaticFactors: Hashable, Sendable {
        /// `auto`: two factors d × d and (N/d) × (N/d), d the largest divisor of N with d ≤ √N (1024 → 32, 32;
        /// 96 → 8, 12). A prime N gives the trivial split (1, N).
        case balancedPair
        /// `auto2`: log₂N factors of size 2 × 2. N must be a power of two ≥ 2.
        case twoByTwoChain
        /// One factor per prime factor of N, smallest first (12 → 2, 2, 3; a power of two gives the 2 × 2 chain).
        case primeChain
        /// `factorCount` factors of near-equal size: the prime factors of N, largest first, each given to the
        /// group whose product is smallest so far; groups are returned smallest first. 1 ≤ factorCount ≤ the number
        /// of prime factors of N (so no factor is 1 × 1): 1024, 3 → 8, 8, 16.
        case balanced(factorCount: Int)
    }

    /// Parses the grammar above.
    /// - Throws: ``FactorSpecificationError`` naming the text.
    public init(parsing text: String) throws(FactorSpecificationError) {
        switch text {
        case "none": self = .none
        case "auto": self = .automatic(.balancedPair)
        case "auto2": self = .automatic(.twoByTwoChain)
        default:
            let items = text.split(separator: "x", omittingEmptySubsequences: false)
            guard items.count <= ModelLimits.maxFactors else {
                throw FactorSpecificationError(
                    "--factors \(text) has \(items.count) factors; at most \(ModelLimits.maxFactors) are allowed")
            }
            var shapes: [KroneckerFactorShape] = []
            for item in items {
                let sides = item.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
                switch sides.count {
                case 1 where (sides[0] ?? 0) >= 1: shapes.append(.square(sides[0]!))
                case 2 where (sides[0] ?? 0) >= 1 && (sides[1] ?? 0) >= 1:
                    shapes.append(KroneckerFactorShape(rows: sides[0]!, columns: sides[1]!))
                default:
                    throw FactorSpecificationError(
                        "--factors \(text) is not none, auto, auto2, square sizes like 4x4x4, or shapes like 2:3x3:2")
                }
            }
            // Checked here, so that no later product of the sizes can overflow.
            guard Self.product(shapes.map(\.rows)) != nil, Self.product(shapes.map(\.columns)) != nil else {
                throw FactorSpecificationError(
                    "--factors \(text) multiplies to more than \(Int.max): no matrix has that size")
            }
            self = .shapes(shapes)
        }
    }

    /// ∏P_f and ∏Q_f of explicit shapes (nil for `none` and `auto`); parsing refuses shapes whose products overflow.
    public var products: (rows: Int, columns: Int)? {
        guard case .shapes(let shapes) = self else { return nil }
        return (Self.product(shapes.map(\.rows)) ?? .max, Self.product(shapes.map(\.columns)) ?? .max)
    }

    /// The product of `sizes`, nil if it overflows `Int`.
    private static func product(_ sizes: [Int]) -> Int? {
        var product = 1
        for size in sizes {
            let (next, overflow) = product.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// The factor shapes for an N × N matrix; nil for `none`.
    /// - Throws: ``FactorSpecificationError`` when the shapes do not multiply to N × N or the rule does not apply.
    public func shapes(for n: Int) throws(FactorSpecificationError) -> [KroneckerFactorShape]? {
        switch self {
        case .none:
            return nil
        case .automatic(let rule):
            return try rule.shapes(for: n)
        case .shapes(let shapes):
            // Capped products: a wild list must not overflow before it is refused.
            var rows = 1, columns = 1
            for shape in shapes {
                rows = min(rows.multipliedReportingOverflow(by: shape.rows).partialValue, ModelLimits.maxSize + 1)
                columns = min(columns.multipliedReportingOverflow(by: shape.columns).partialValue,
                              ModelLimits.maxSize + 1)
                if shape.rows > ModelLimits.maxSize || shape.columns > ModelLimits.maxSize {
                    (rows, columns) = (ModelLimits.maxSize + 1, ModelLimits.maxSize + 1)
                }
            }
            guard rows == n, columns == n else {
                func text(_ x: Int) -> String { x > ModelLimits.maxSize ? "more than 2^24" : "\(x)" }
                throw FactorSpecificationError(
                    "factors \(self) multiply to \(text(rows))×\(text(columns)), but the recurrent matrices are "
                        + "\(n)×\(n)")
            }
            return shapes
        }
    }

    /// N for explicit shapes (∏P_f when it equals ∏Q_f and stays within the schema's limit), nil otherwise.
    public var size: Int? {
        guard case .shapes(let shapes) = self else { return nil }
        var rows = 1, columns = 1
        for shape in shapes {
            let r = rows.multipliedReportingOverflow(by: shape.rows)
            let c = columns.multipliedReportingOverflow(by: shape.columns)
            guard !r.overflow, !c.overflow, r.partialValue <= ModelLimits.maxSize,
                  c.partialValue <= ModelLimits.maxSize else {
                return nil
            }
            (rows, columns) = (r.partialValue, c.partialValue)
        }
        return rows == columns ? rows : nil
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .automatic(.twoByTwoChain): "auto2"
        case .automatic(.balancedPair): "auto"
        case .automatic(let rule): "\(rule)"
        // Square factors as their size, rectangular ones as P:Q, so that the text parses back to the same shapes.
        case .shapes(let shapes):
            shapes.map { $0.rows == $0.columns ? "\($0.rows)" : "\($0.rows):\($0.columns)" }.joined(separator: "x")
        }
    }
}

extension FactorSpecification.AutomaticFactors {
    /// Square factor shapes for an N × N matrix.
    /// - Throws: ``FactorSpecificationError`` when N < 1 or the rule does not apply to N.
    public func shapes(for n: Int) throws(FactorSpecificationError) -> [KroneckerFactorShape] {
        guard n >= 1, n <= ModelLimits.maxSize else {
            throw FactorSpecificationError("cannot choose factors for N = \(n): N must lie in 1…2^24")
        }
        switch self {
        case .balancedPair:
            var d = 1, candidate = 1
            while candidate * candidate <= n {
                if n % candidate == 0 { d = candidate }
                candidate += 1
            }
            return [.square(d), .square(n / d)]
        case .twoByTwoChain:
            guard n >= 2, n & (n - 1) == 0 else {
                throw FactorSpecificationError(
                    "cannot choose factors for N = \(n): a 2x2 chain needs a power of two of at least 2")
            }
            return Array(repeating: .square(2), count: n.trailingZeroBitCount)
        case .primeChain:
            guard n >= 2 else {
                throw FactorSpecificationError("cannot choose factors for N = 1: it has no prime factors")
            }
            return Self.primeFactors(of: n).map { .square($0) }
        case .balanced(let factorCount):
            let primes = Self.primeFactors(of: n)
            guard factorCount >= 1, factorCount <= max(primes.count, 1) else {
                throw FactorSpecificationError(
                    "cannot choose factors for N = \(n): \(factorCount) factors requested but \(n) has "
                        + "\(primes.count) prime factors")
            }
            var groups = Array(repeating: 1, count: factorCount)
            for prime in primes.sorted(by: >) {
                let smallest = groups.indices.min { groups[$0] < groups[$1] }!
                groups[smallest] *= prime
            }
            return groups.sorted().map { .square($0) }
        }
    }

    /// Prime factors with multiplicity, ascending (trial division; N ≤ 2^24).
    static func primeFactors(of n: Int) -> [Int] {
        var factors: [Int] = [], rest = n, p = 2
        while p * p <= rest {
            while rest % p == 0 {
                factors.append(p)
                rest /= p
            }
            p += 1
        }
        if rest > 1 { factors.append(rest) }
        return factors
    }
}

/// A `--factors` text that does not parse, or shapes that do not fit the matrix.
public struct FactorSpecificationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
