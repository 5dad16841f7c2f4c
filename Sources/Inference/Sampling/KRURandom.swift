/// The project's seeded pseudo-random generator: xoshiro256** (Blackman & Vigna, "Scrambled linear
/// pseudorandom number generators", 2018) with its 256-bit state filled by four SplitMix64 outputs.
///
/// The algorithm, the seeding and every value derived from it are defined in `spec/SAMPLING.md`, so a seed
/// reproduces the same text on every platform and Swift version. That is also why project code must draw
/// only through the explicit methods (``next()``, ``nextDouble()``, ``nextFloat()``, ``nextIndex(below:)``,
/// ``shuffle(_:)``, ``nextStandardNormalPair()``): the conformance to `RandomNumberGenerator` exists so the
/// type fits generic APIs, but the standard library's `random(in:using:)`, `shuffled(using:)` and
/// `randomElement(using:)` map raw bits to values in ways that are documented as subject to change.
///
/// A value type: copying it forks the stream (both copies continue identically).
public struct KRURandom: RandomNumberGenerator, Sendable, Hashable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Seeds the state with the first four outputs of SplitMix64 started at `seed` (spec §2.2). SplitMix64's
    /// output function is a bijection, so four consecutive outputs are never all zero — the one state
    /// xoshiro must avoid — and every `UInt64` is a valid seed.
    public init(seed: UInt64) {
        var x = seed
        s0 = Self.splitMix64(&x)
        s1 = Self.splitMix64(&x)
        s2 = Self.splitMix64(&x)
        s3 = Self.splitMix64(&x)
    }

    /// Restores a state saved with ``state`` (for example from a training checkpoint).
    /// - Precondition: the four words are not all zero (xoshiro's all-zero state only ever returns zero).
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "KRURandom: the all-zero state is invalid")
        (s0, s1, s2, s3) = state
    }

    /// The full generator state, (s0, s1, s2, s3) in the spec's notation.
    public var state: (UInt64, UInt64, UInt64, UInt64) { (s0, s1, s2, s3) }

    /// The next 64 raw bits (spec §2.1). Every other draw is defined in terms of this one.
    public mutating func next() -> UInt64 {
        let result = (s1 &* 5).rotatedLeft(by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3.rotatedLeft(by: 45)
        return result
    }

    /// A seed for runs where the user gave none: 64 bits from the operating system's random source
    /// (`SystemRandomNumberGenerator`). Callers must show the seed (the CLI prints it) so the run can be repeated.
    public static func systemSeed() -> UInt64 {
        var system = SystemRandomNumberGenerator()
        return system.next()
    }

    private static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(by k: UInt64) -> UInt64 { (self << k) | (self >> (64 - k)) }
}
