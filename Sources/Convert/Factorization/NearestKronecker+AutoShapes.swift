extension NearestKronecker {
    /// How ``autoShapes(size:rule:)`` splits a square N × N matrix into square factors.
    public enum AutoShapeRule: Hashable, Sendable {
        /// Two factors d × d and (N/d) × (N/d), d the largest divisor of N with d ≤ √N — as balanced as N allows
        /// (1024 → 32, 32; 96 → 8, 12). A prime N gives the trivial split (1, N).
        case balancedPair
        /// log₂N factors of size 2 × 2 (the KRU paper's cheapest recurrent matrix). N must be a power of two ≥ 2.
        case twoByTwoChain
        /// One factor per prime factor of N, smallest first (12 → 2, 2, 3; a power of two gives the 2 × 2 chain).
        case primeChain
        /// `factorCount` factors of near-equal size: the prime factors of N, largest first, are each given to the
        /// group whose product is currently smallest (longest-processing-time rule); groups are returned smallest
        /// first, which puts the cheapest step first in the sequential SVD. Requires 1 ≤ factorCount ≤ number of
        /// prime factors of N (counted with multiplicity), so no factor is 1 × 1 (1024, 3 → 8, 8, 16).
        case balanced(factorCount: Int)
    }

    /// Proposes square factor shapes for an N × N matrix.
    ///
    /// - Throws: ``KroneckerFactorizationError/invalidAutoShape(size:reason:)`` when N < 1 or the rule does not
    ///   apply to N.
    public static func autoShapes(
        size n: Int, rule: AutoShapeRule
    ) throws(KroneckerFactorizationError) -> [FactorShape] {
        guard n >= 1 else { throw .invalidAutoShape(size: n, reason: "the size must be at least 1") }
        switch rule {
        case .balancedPair:
            var d = 1
            var candidate = 1
            while candidate * candidate <= n {
                if n % candidate == 0 { d = candidate }
                candidate += 1
            }
            return [.square(d), .square(n / d)]
        case .twoByTwoChain:
            guard n >= 2, n & (n - 1) == 0 else {
                throw .invalidAutoShape(size: n, reason: "a 2x2 chain needs a power of two of at least 2")
            }
            return Array(repeating: .square(2), count: n.trailingZeroBitCount)
        case .primeChain:
            guard n >= 2 else { throw .invalidAutoShape(size: n, reason: "1 has no prime factors") }
            return primeFactors(of: n).map { .square($0) }
        case .balanced(let factorCount):
            let primes = primeFactors(of: n)
            guard factorCount >= 1, factorCount <= max(primes.count, 1) else {
                throw .invalidAutoShape(
                    size: n,
                    reason: "\(factorCount) factors requested but \(n) has \(primes.count) prime factors")
            }
            var groups = Array(repeating: 1, count: factorCount)
            for prime in primes.sorted(by: >) {
                let smallest = groups.indices.min { groups[$0] < groups[$1] }!
                groups[smallest] *= prime
            }
            return groups.sorted().map { .square($0) }
        }
    }

    /// Prime factors with multiplicity, ascending (trial division; sizes here are at most a few thousand).
    static func primeFactors(of n: Int) -> [Int] {
        var factors: [Int] = []
        var rest = n
        var p = 2
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
