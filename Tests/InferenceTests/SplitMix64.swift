/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
/// a tiny seeded generator so every test case is reproducible on every platform and Swift version.
/// Swift's `random(in:using:)` is avoided on purpose: its mapping from bits to values is not specified.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [−1, 1): the top 24 bits give an exact Float in [0, 1), then 2u − 1 (also exact).
    mutating func nextFloat() -> Float {
        Float(next() >> 40) / Float(1 << 24) * 2 - 1
    }

    /// Uniform in [0, 1): the top 53 bits, exact.
    mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in `range` (modulo bias is irrelevant for choosing test shapes).
    mutating func nextInt(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func floats(_ count: Int) -> [Float] {
        (0..<count).map { _ in nextFloat() }
    }
}
