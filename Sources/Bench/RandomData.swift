import Glibc
import KRUInference

/// Random weights and inputs, all drawn from the engine's own seeded generator (KRURandom), so every run
/// benchmarks the same numbers.
struct RandomData {
    private(set) var random: KRURandom

    init(seed: UInt64) { random = KRURandom(seed: seed) }

    /// `count` draws from N(0, standardDeviation²).
    mutating func gaussian(_ count: Int, standardDeviation: Float = 1) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { random.fillStandardNormal($0, standardDeviation: standardDeviation) }
        return values
    }

    /// `count` draws from the uniform distribution on [low, high).
    mutating func uniform(_ count: Int, _ low: Float, _ high: Float) -> [Float] {
        (0..<count).map { _ in low + (high - low) * random.nextFloat() }
    }

    /// `count` token ids, uniform over `0 ..< vocabularySize`.
    mutating func tokens(_ count: Int, vocabularySize: Int) -> [Int] {
        (0..<count).map { _ in random.nextIndex(below: vocabularySize) }
    }

    /// A random 2 × 2 unitary matrix [[a, b], [−e^{iφ}·b̄, e^{iφ}·ā]] with |a|² + |b|² = 1. A Kronecker product
    /// of unitary factors is unitary, so a KRU state neither explodes nor decays to denormals (which would
    /// slow the arithmetic down and distort the timings) however many steps the benchmark runs.
    mutating func unitaryFactor() -> ComplexKroneckerFactor {
        let g = gaussian(4)
        let norm = (g.reduce(0) { $0 + $1 * $1 }).squareRoot()
        let (ar, ai, br, bi) = (g[0] / norm, g[1] / norm, g[2] / norm, g[3] / norm)
        let phi = 2 * Float.pi * random.nextFloat()
        let (c, s) = (cos(phi), sin(phi))
        // e^{iφ}·(−b̄) = −(c + i s)(br − i bi) and e^{iφ}·ā = (c + i s)(ar − i ai).
        let (cr, ci) = (-(c * br + s * bi), -(s * br - c * bi))
        let (dr, di) = (c * ar + s * ai, s * ar - c * ai)
        return ComplexKroneckerFactor(rows: 2, columns: 2, real: [ar, br, cr, dr], imaginary: [ai, bi, ci, di])
    }
}
