import Foundation
import KRUConvert
import Testing

/// Timings for the brief's targets (1024 × 1024 to 32×32 ⊗ 32×32 and to ten 2×2 factors). Timed assertions do not
/// belong in tests (DESIGN.md), so this only prints; it runs when KRU_FACTORIZATION_TIMING is set, e.g.
/// `KRU_FACTORIZATION_TIMING=1 swift test -c release --filter FactorizationTiming`.
struct FactorizationTimingTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KRU_FACTORIZATION_TIMING"] != nil))
    func timeLargeConversions() throws {
        var rng = SplitMix64(state: 1)
        let n = 1024
        let gaussian = rng.matrix(n, n, complex: true)
        let real = FactorizationOracle.real(gaussian)
        // A near-Kronecker matrix (trained weights lie between this and Gaussian noise).
        let structured = FactorizationOracle.real(
            FactorizationOracle.add(
                FactorizationOracle.kron(rng.matrix(32, 32, complex: false), rng.matrix(32, 32, complex: false)),
                gaussian, scale: 3))
        let pair = try NearestKronecker.autoShapes(size: n, rule: .balancedPair)
        let chain = try NearestKronecker.autoShapes(size: n, rule: .twoByTwoChain)

        func time<E>(_ label: String, _ body: () throws -> KroneckerFactorization<E>) rethrows {
            let start = Date()
            let r = try body()
            let seconds = Date().timeIntervalSince(start)
            print(String(
                format: "%@: %.3f s, relative error %.6f, iterations %d, converged %@, %@", label, seconds,
                r.relativeError, r.iterations, r.converged ? "yes" : "no", "\(r.algorithm)"))
        }
        try time("real Gaussian 1024 -> 32x32 (x) 32x32") { try NearestKronecker.factorize(real, shapes: pair) }
        try time("real near-Kronecker 1024 -> 32x32 (x) 32x32") {
            try NearestKronecker.factorize(structured, shapes: pair)
        }
        try time("complex Gaussian 1024 -> 32x32 (x) 32x32") { try NearestKronecker.factorize(gaussian, shapes: pair) }
        try time("real Gaussian 1024 -> 32x32 (x) 32x32, rank 4") {
            try NearestKronecker.factorize(real, shapes: pair, rank: 4)
        }
        try time("real Gaussian 1024 -> ten 2x2") { try NearestKronecker.factorize(real, shapes: chain) }
        try time("real near-Kronecker 1024 -> ten 2x2") { try NearestKronecker.factorize(structured, shapes: chain) }
        try time("complex Gaussian 1024 -> ten 2x2") { try NearestKronecker.factorize(gaussian, shapes: chain) }
        try time("real Gaussian 1024 -> ten 2x2, sequential only") {
            try NearestKronecker.factorize(real, shapes: chain, options: .init(refine: false))
        }
        try time("real Gaussian 1024 -> ten 2x2, 3 restarts") {
            try NearestKronecker.factorize(real, shapes: chain, options: .init(restarts: 3))
        }
        try time("real Gaussian 1024 -> 4x4x4x4x4 (5 factors), rank 2") {
            try NearestKronecker.factorize(real, shapes: Array(repeating: .square(4), count: 5), rank: 2)
        }
    }
}
