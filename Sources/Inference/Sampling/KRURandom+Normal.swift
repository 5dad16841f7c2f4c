#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#elseif canImport(ucrt)
import ucrt
#endif

/// Standard-normal draws for weight initialisation (spec §4.2).
///
/// They call the platform's `log`, `cos` and `sin`, which are not correctly rounded, so values may differ in
/// the last bits between C libraries (glibc, Darwin, …). Each pair always consumes exactly two ``next()``
/// calls, so the generator's position — and everything drawn after — never depends on the platform.
extension KRURandom {
    /// One Box–Muller pair from two uniforms: u1 = ``nextDouble()``, u2 = ``nextDouble()``,
    /// r = √(−2·ln(1 − u1)), θ = 2π·u2, result (r·cos θ, r·sin θ). Using 1 − u1 ∈ (0, 1] keeps the logarithm finite.
    public mutating func nextStandardNormalPair() -> (Double, Double) {
        let u1 = nextDouble()
        let u2 = nextDouble()
        let r = (-2 * log(1 - u1)).squareRoot()
        let theta = Self.twoPi * u2
        return (r * cos(theta), r * sin(theta))
    }

    /// Fills `buffer` with `Float(Double(mean) + Double(standardDeviation) · z)` for standard-normal z, taking
    /// both values of each pair in order; for an odd count the second value of the last pair is discarded.
    public mutating func fillStandardNormal(
        _ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, standardDeviation: Float = 1
    ) {
        let m = Double(mean)
        let s = Double(standardDeviation)
        var i = 0
        while i < buffer.count {
            let (a, b) = nextStandardNormalPair()
            buffer[i] = Float(m + s * a)
            if i + 1 < buffer.count { buffer[i + 1] = Float(m + s * b) }
            i += 2
        }
    }

    /// 2π rounded to binary64 (bit pattern 0x401921FB54442D18), written out so no platform constant is involved.
    static let twoPi = Double(bitPattern: 0x4019_21FB_5444_2D18)
}
