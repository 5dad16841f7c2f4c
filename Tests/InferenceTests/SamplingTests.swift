#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import KRUInference
import Testing

// Expected values come from tools/sampling_reference.py (Python integers with 64-bit masking, anchored to the
// published SplitMix64 and xoshiro256** vectors; sampler cases decided by NumPy float64) — never from the Swift
// code under test. The same numbers are printed in spec/SAMPLING.md §7.

/// The generator: raw outputs, seeding, uniforms, bounded integers, shuffle, normals.
@Suite struct SamplingGeneratorTests {
    /// Published by the reference implementations (xoshiro256starstar.c via Rust rand_xoshiro): state {1,2,3,4}.
    @Test func publishedXoshiroVector() {
        var g = KRURandom(state: (1, 2, 3, 4))
        let expected: [UInt64] = [
            11520, 0, 1509978240, 1215971899390074240, 1216172134540287360,
            607988272756665600, 16172922978634559625, 8476171486693032832,
            10595114339597558777, 2904607092377533576,
        ]
        #expect((0..<10).map { _ in g.next() } == expected)
    }

    /// Seeding = the first four SplitMix64 outputs; for seed 0 those are SplitMix64's published first outputs.
    @Test func seedingFillsTheStateFromSplitMix64() {
        #expect(KRURandom(seed: 0).state == (0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4,
                                             0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC))
        #expect(KRURandom(seed: 42).state == (0xBDD7_3226_2FEB_6E95, 0x28EF_E333_B266_F103,
                                              0x4752_6757_130F_9F52, 0x581C_E1FF_0E4A_E394))
    }

    @Test(arguments: [
        (UInt64(0), [
            0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0, 0x6AA5_94F1_262D_2D2C,
            0xBBA5_AD4A_1F84_2E59, 0xFFEF_8375_D9EB_CACA, 0x6C16_0DEE_D2F5_4C98, 0x8920_AD64_8FC3_0A3F,
            0xDB03_2C0B_A753_9731, 0xEB3A_475A_3E74_9A3D,
        ] as [UInt64]),
        (UInt64(42), [
            0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1, 0xECB8_AD47_03B3_60A1,
            0xFDE6_DC7F_E2EC_5E64, 0xC50D_A531_0179_5238, 0xB821_5485_5A65_DDB2, 0xD99A_2743_EBE6_0087,
            0xC2E9_6E72_6E97_647E, 0x9556_615F_775F_BC3D,
        ] as [UInt64]),
    ])
    func firstTenOutputs(seed: UInt64, expected: [UInt64]) {
        var g = KRURandom(seed: seed)
        #expect((0..<10).map { _ in g.next() } == expected)
    }

    @Test func uniformsAreExactFunctionsOfTheBits() {
        var g = KRURandom(seed: 42)
        let doubles: [Double] = [
            0.08386297105988216, 0.3789802506626686, 0.6800434110281394, 0.9246929453253876, 0.9918039142821028,
        ]
        #expect((0..<5).map { _ in g.nextDouble() } == doubles)
        var f = KRURandom(seed: 42)
        let floats: [Float] = [
            0.08386296033859253, 0.37898021936416626, 0.6800433993339539, 0.9246929287910461, 0.9918038845062256,
        ]
        #expect((0..<5).map { _ in f.nextFloat() } == floats)
    }

    @Test func boundedIntegers() {
        var g = KRURandom(seed: 7)
        #expect((0..<12).map { _ in g.nextIndex(below: 6) } == [4, 1, 5, 5, 5, 5, 0, 0, 2, 0, 3, 4])
        // A bound of 2^62 + 1 rejects about a quarter of raw draws; the reference saw 4 rejections here,
        // so the final state also checks how many draws the rejection loop consumed.
        var h = KRURandom(seed: 7)
        let large = (0..<8).map { _ in h.nextIndex(below: (1 << 62) + 1) }
        #expect(large == [
            1285513147583695668, 3872098226623159910, 4524514661162294416, 4569536494109524166,
            1861767741974913352, 700128219564834904, 2496617385009076326, 3375100260903593974,
        ])
        #expect(h.state == (0x63F7_39DE_7EF2_A30C, 0xD071_1555_E572_603F, 0x6ACE_B518_B6F2_82C9,
                            0xD84A_C0D1_4A57_AC52))
        var one = KRURandom(seed: 1)
        #expect((0..<20).allSatisfy { _ in one.nextIndex(below: 1) == 0 })
    }

    @Test func fisherYatesShuffle() {
        var g = KRURandom(seed: 42)
        var ten = Array(0..<10)
        g.shuffle(&ten)
        #expect(ten == [9, 1, 4, 2, 8, 7, 6, 5, 3, 0])

        var h = KRURandom(seed: 2024)
        var deck = Array(0..<52)
        h.shuffle(&deck)
        #expect(deck == [
            44, 17, 47, 34, 41, 4, 36, 8, 45, 50, 43, 16, 23, 49, 31, 26, 40, 15, 19, 42, 10, 21, 25, 28, 6, 33,
            0, 32, 12, 5, 9, 20, 13, 27, 22, 1, 48, 29, 14, 35, 38, 30, 51, 24, 46, 18, 11, 37, 7, 3, 39, 2,
        ])

        // Positions are offsets, so a slice with other indices shuffles the same way.
        var padded = [-1] + Array(0..<10)
        var k = KRURandom(seed: 42)
        k.shuffle(&padded[1...])
        #expect(Array(padded[1...]) == [9, 1, 4, 2, 8, 7, 6, 5, 3, 0])
    }

    /// Box–Muller uses libm, so only closeness is promised across platforms (spec §4.2).
    @Test func standardNormalPairs() {
        var g = KRURandom(seed: 42)
        let expected: [(Double, Double)] = [
            (-0.303263064678738, 0.28846173882942383),
            (1.3438117634372806, -0.6879751798977497),
            (0.3834617912676943, -3.0758989311988945),
        ]
        for (a, b) in expected {
            let (x, y) = g.nextStandardNormalPair()
            #expect(abs(x - a) <= 1e-14 && abs(y - b) <= 1e-14)
        }
    }

    /// Both values of each pair are used; an odd count drops the last pair's second value.
    @Test func fillStandardNormalUsesPairsInOrder() {
        var g = KRURandom(seed: 9)
        var values = [Float](repeating: 0, count: 5)
        values.withUnsafeMutableBufferPointer { g.fillStandardNormal($0, mean: 1, standardDeviation: 0.5) }
        var reference = KRURandom(seed: 9)
        var expected: [Float] = []
        for _ in 0..<3 {
            let (a, b) = reference.nextStandardNormalPair()
            expected += [Float(1 + 0.5 * a), Float(1 + 0.5 * b)]
        }
        #expect(values == Array(expected.prefix(5)))
        #expect(g == reference)
    }

    @Test func stateRoundTripsAndCopiesFork() {
        var g = KRURandom(seed: 123)
        _ = g.next()
        var restored = KRURandom(state: g.state)
        var copy = g
        let a = (0..<5).map { _ in g.next() }
        #expect((0..<5).map { _ in restored.next() } == a)
        #expect((0..<5).map { _ in copy.next() } == a)
    }

    @Test func systemSeedsDiffer() {
        // 64 random bits colliding twice in a row would mean the system source is broken.
        let seeds = (0..<3).map { _ in KRURandom.systemSeed() }
        #expect(Set(seeds).count == 3)
    }
}

/// The portable exponential the sampler relies on for platform-independent weights.
@Suite struct SamplingExpTests {
    @Test func referenceBitPatterns() {
        let cases: [(Double, UInt64)] = [
            (0.0, 0x3FF0_0000_0000_0000), (-1e-300, 0x3FF0_0000_0000_0000),
            (-0.5, 0x3FE3_68B2_FC6F_960A), (-1.0, 0x3FD7_8B56_362C_EF38), (-2.5, 0x3FB5_0385_C094_F425),
            (-0.34657359027997264, 0x3FE6_A09E_667F_3BCC), (-10.0, 0x3F07_CD79_B564_7C9A),
            (-100.0, 0x36EA_8C1F_14E2_AF5D), (-700.0, 0x00D1_4F2B_0FB9_307F), (-708.0, 0x0017_C8AB_2288_C9AC),
            (-708.0000001, 0), (-745.2, 0), (-.infinity, 0),
        ]
        for (x, bits) in cases {
            #expect(portableExp(x).bitPattern == bits, "exp(\(x))")
        }
    }

    @Test func withinOneUlpOfLibm() {
        var g = KRURandom(seed: 5)
        for _ in 0..<20_000 {
            let x = -708 * g.nextDouble()
            let (a, b) = (portableExp(x).bitPattern, exp(x).bitPattern)
            #expect((a > b ? a - b : b - a) <= 1, "exp(\(x))")
        }
    }
}

/// The sampler: spec vectors, filters, statistics.
@Suite struct SamplingSamplerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let logits: [Float]
        let temperature: Double
        let topK: Int
        let topP: Double
        let u: Double
        let expected: Int
        init(_ name: String, _ logits: [Float], _ t: Double, _ k: Int, _ p: Double, _ u: Double, _ e: Int) {
            (self.name, self.logits, temperature, topK, topP, self.u, expected) = (name, logits, t, k, p, u, e)
        }
        var testDescription: String { name }
    }

    static let inf = Float.infinity

    /// Pasted from `python3 tools/sampling_reference.py` ("as Swift literals"); the script checks every u is
    /// far (> 1e-9 of the mass) from a CDF boundary and every p from a nucleus boundary, except in the two
    /// "exact" cases, whose arithmetic has no rounding at all.
    static let cases: [Case] = [
        .init("plain low u", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 1.0, 0.0, 0),
        .init("plain middle", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 1.0, 0.5, 2),
        .init("plain high u", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 1.0, 0.97, 3),
        .init("largest u", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 1.0, 0.9999999999999999, 3),
        .init("cold", [1.0, 2.0, 3.0, 0.5], 0.25, 0, 1.0, 0.9, 2),
        .init("hot", [1.0, 2.0, 3.0, 0.5], 4.0, 0, 1.0, 0.3, 1),
        .init("greedy T=0 ties", [2.0, 5.0, 5.0, 1.0], 0.0, 0, 1.0, 0.999, 1),
        .init("greedy T<0", [2.0, 5.0, 7.5, 1.0], -1.0, 0, 1.0, 0.0, 2),
        .init("top-k 2", [1.0, 2.0, 3.0, 0.5], 1.0, 2, 1.0, 0.2, 1),
        .init("top-k 2 high u", [1.0, 2.0, 3.0, 0.5], 1.0, 2, 1.0, 0.8, 2),
        .init("top-k 1 ties", [0.0, 4.0, -1.0, 4.0], 1.0, 1, 1.0, 0.99, 1),
        .init("top-k ties cut", [3.0, 1.0, 3.0, 3.0, 2.0], 1.0, 2, 1.0, 0.75, 2),
        .init("top-k > V is off", [1.0, 2.0, 3.0, 0.5], 1.0, 9, 1.0, 0.1, 1),
        .init("top-p 0.5", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 0.5, 0.3, 2),
        .init("top-p 0.8", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 0.8, 0.4, 2),
        .init("top-p tiny", [1.0, 2.0, 3.0, 0.5], 1.0, 0, 1e-09, 0.99, 2),
        .init("top-p tiny ties", [1.5, 0.25, 1.5], 1.0, 0, 1e-09, 0.99, 0),
        .init("top-k then top-p", [0.5, 2.25, -1.0, 1.75, 2.0, 0.0], 0.75, 4, 0.7, 0.6, 4),
        .init("NaN and -inf", [.nan, -inf, 1.0, 1.0], 1.0, 0, 1.0, 0.6, 3),
        .init("+inf pair", [inf, 0.0, inf], 1.0, 0, 1.0, 0.75, 2),
        .init("all -inf", [-inf, -inf, .nan, -inf, -inf], 1.0, 0, 1.0, 0.7, 3),
        .init("infinite T", [9.0, -3.0, -inf, 1.0], .infinity, 0, 1.0, 0.5, 1),
        .init("wide", [-2.0, 1.5, -0.5, 3.0, 1.0, -1.0, 2.5, 0.5, -1.5, 2.0, 0.0, -2.0, 1.5, -0.5, 3.0, 1.0],
              0.8, 0, 1.0, 0.42, 6),
        .init("wide k+p", [-2.0, 1.5, -0.5, 3.0, 1.0, -1.0, 2.5, 0.5, -1.5, 2.0, 0.0, -2.0, 1.5, -0.5, 3.0, 1.0],
              1.3, 6, 0.9, 0.77, 14),
        // On a boundary on purpose, with exact arithmetic (all weights 1): "u·S < cumulative", "mass ≥ p".
        .init("exact CDF boundary", [0.0, 0.0, 0.0, 0.0], 1.0, 0, 1.0, 0.5, 2),
        .init("exact nucleus boundary", [0.0, 0.0, 0.0, 0.0], 1.0, 0, 0.5, 0.9, 1),
    ]

    @Test(arguments: cases)
    func specVector(_ c: Case) {
        var sampler = TokenSampler(
            vocabularySize: c.logits.count, temperature: c.temperature, topK: c.topK, topP: c.topP)
        let index = c.logits.withUnsafeBufferPointer { sampler.sample(logits: $0, uniform: c.u) }
        #expect(index == c.expected)
    }

    /// One sampler reused across all cases of one vocabulary size must agree with fresh ones: the scratch
    /// buffers carry nothing from one call to the next.
    @Test func scratchCarriesNoState() {
        let wide = Self.cases.filter { $0.logits.count == 4 }
        var sampler = TokenSampler(vocabularySize: 4)
        for c in wide + wide.reversed() {
            (sampler.temperature, sampler.topK, sampler.topP) = (c.temperature, c.topK, c.topP)
            let index = c.logits.withUnsafeBufferPointer { sampler.sample(logits: $0, uniform: c.u) }
            #expect(index == c.expected, "\(c.name)")
        }
    }

    /// Exactly one nextDouble() per token, greedy included, so the stream never depends on the settings.
    @Test(arguments: [0.0, 0.7])
    func oneDrawPerToken(temperature: Double) {
        var sampler = TokenSampler(vocabularySize: 4, temperature: temperature, topK: 3, topP: 0.9)
        var g = KRURandom(seed: 11)
        var reference = g
        let logits: [Float] = [0.5, -1, 2, 1.5]
        for _ in 0..<50 {
            let u = reference.nextDouble()
            var fixed = sampler
            let expected = logits.withUnsafeBufferPointer { fixed.sample(logits: $0, uniform: u) }
            #expect(sampler.sample(logits: logits, using: &g) == expected)
            #expect(g == reference)
        }
    }

    @Test func argmaxRules() {
        func argmax(_ l: [Float]) -> Int { l.withUnsafeBufferPointer { TokenSampler.argmax($0) } }
        #expect(argmax([1, 3, 2]) == 1)
        #expect(argmax([3, 1, 3]) == 0)
        #expect(argmax([.nan, 1, .nan, 2]) == 3)
        #expect(argmax([.nan, .nan]) == 0)
        #expect(argmax([-.infinity, -.infinity, -1]) == 2)
        #expect(argmax([0, .infinity, .infinity]) == 1)
        #expect(TokenSampler(vocabularySize: 1, temperature: 0).isGreedy)
    }

    /// T ≤ 0, top-k = 1 and a tiny top-p all reduce to argmax, for every u; top-k ≥ V equals top-k off.
    @Test func filtersThatReduceToArgmaxOrToNothing() {
        var g = KRURandom(seed: 2718)
        for trial in 0..<300 {
            let v = 1 + trial % 40
            // Coarse logits (multiples of 1/4) so ties happen often.
            let logits = (0..<v).map { _ in Float(g.nextIndex(below: 17)) / 4 - 2 }
            let best = logits.withUnsafeBufferPointer { TokenSampler.argmax($0) }
            let u = g.nextDouble()
            var greedy = TokenSampler(vocabularySize: v, temperature: 0)
            var topOne = TokenSampler(vocabularySize: v, temperature: 1.7, topK: 1)
            var tinyP = TokenSampler(vocabularySize: v, temperature: 0.6, topP: 1e-12)
            var zeroP = TokenSampler(vocabularySize: v, temperature: 0.6, topP: 0)
            var off = TokenSampler(vocabularySize: v, temperature: 0.9)
            var bigK = TokenSampler(vocabularySize: v, temperature: 0.9, topK: v + trial % 3)
            var negativeK = TokenSampler(vocabularySize: v, temperature: 0.9, topK: -5, topP: 1.5)
            logits.withUnsafeBufferPointer { l in
                #expect(greedy.sample(logits: l, uniform: u) == best)
                #expect(topOne.sample(logits: l, uniform: u) == best)
                #expect(tinyP.sample(logits: l, uniform: u) == best)
                #expect(zeroP.sample(logits: l, uniform: u) == best)
                let plain = off.sample(logits: l, uniform: u)
                #expect(bigK.sample(logits: l, uniform: u) == plain)
                #expect(negativeK.sample(logits: l, uniform: u) == plain)
            }
        }
    }

    /// 100 000 draws with a fixed seed (deterministic, so never flaky): every frequency within 5 standard
    /// errors of the distribution the spec says the settings produce.
    @Test(arguments: [
        (1.0, 0, 1.0, [0.1, 0.2, 0.3, 0.4]),
        (0.5, 0, 1.0, [0.01 / 0.3, 0.04 / 0.3, 0.09 / 0.3, 0.16 / 0.3]),  // T = 1/2 squares the probabilities
        (1.0, 2, 1.0, [0, 0, 3.0 / 7, 4.0 / 7]),
        (1.0, 0, 0.65, [0, 0, 3.0 / 7, 4.0 / 7]),  // 0.4 < 0.65 ≤ 0.4 + 0.3
        (1.0, 3, 0.9, [0, 2.0 / 9, 3.0 / 9, 4.0 / 9]),  // top-k drops 0.1; the nucleus then needs all three
    ] as [(Double, Int, Double, [Double])])
    func frequenciesMatchTheDistribution(temperature: Double, topK: Int, topP: Double, expected: [Double]) {
        let logits = [0.1, 0.2, 0.3, 0.4].map { Float(log($0)) }
        var sampler = TokenSampler(vocabularySize: 4, temperature: temperature, topK: topK, topP: topP)
        var g = KRURandom(seed: 20_240_601)
        let n = 100_000
        var counts = [0, 0, 0, 0]
        logits.withUnsafeBufferPointer { l in
            for _ in 0..<n { counts[sampler.sample(logits: l, using: &g)] += 1 }
        }
        for i in 0..<4 {
            let p = expected[i]
            let frequency = Double(counts[i]) / Double(n)
            let standardError = (p * (1 - p) / Double(n)).squareRoot()
            if p == 0 {
                #expect(counts[i] == 0, "category \(i) must never be drawn")
            } else {
                #expect(abs(frequency - p) <= 5 * standardError, "category \(i): \(frequency) vs \(p)")
            }
        }
    }
}
