/// Uniform draws derived from raw bits by exact arithmetic (spec §3), never via the standard library's
/// `random(in:using:)`, whose mapping may change between Swift versions.
extension KRURandom {
    /// A uniform `Double` in [0, 1): the top 53 bits of ``next()`` times 2⁻⁵³. Exact, so identical everywhere;
    /// every multiple of 2⁻⁵³ in [0, 1) is equally likely.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform `Float` in [0, 1): the top 24 bits of ``next()`` times 2⁻²⁴ (exact).
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform integer in `0..<bound` without modulo bias: Lemire's multiply-shift with rejection
    /// ("Fast random integer generation in an interval", 2019). It usually costs one ``next()``; a draw is
    /// rejected only with probability (2⁶⁴ mod bound) / 2⁶⁴, so the number of draws consumed varies.
    /// - Precondition: `bound > 0`.
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "KRURandom.nextIndex(below:): bound must be positive")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            // 2⁶⁴ mod b, computed in 64 bits as (2⁶⁴ − b) mod b.
            let threshold = (0 &- b) % b
            while product.low < threshold {
                product = next().multipliedFullWidth(by: b)
            }
        }
        return Int(product.high)
    }
}
