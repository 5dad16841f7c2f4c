/// exp(x) for x ≤ 0 built from IEEE 754 basic operations only (spec §5.1).
///
/// Why not Foundation's `exp`: libm is not required to round correctly, and glibc and Darwin differ in rare
/// last bits. A one-ulp change of a softmax weight can move a CDF boundary across the uniform u and change
/// the sampled character, so the sampler's exponential is part of the specification. Each + and × rounds
/// separately (Swift never fuses them), so every platform gets the same bits; the result is within 1 ulp
/// of the true value (checked by tools/sampling_reference.py over 300 001 points).
///
/// Method: Cody–Waite reduction x = k·ln2 + r with |r| ≤ ln2/2 (ln2 split as in fdlibm so k·ln2Hi is
/// exact), the degree-13 Taylor polynomial of eʳ by Horner (truncation error < 5·10⁻¹⁸), then an exact
/// scaling by 2ᵏ. Below −708 the result would leave the normal range; such weights are < 10⁻³⁰⁷ of the
/// largest and are returned as 0, which also covers −∞.
func portableExp(_ x: Double) -> Double {
    assert(x <= 0, "portableExp is defined for x ≤ 0 only")
    if x < -708 { return 0 }
    let k = (x * invLn2).rounded(.toNearestOrEven)
    let r = (x - k * ln2Hi) - k * ln2Lo
    var p = taylor[13]
    for n in stride(from: 12, through: 0, by: -1) {
        p = p * r + taylor[n]
    }
    // k ∈ [−1021, 0] here, so 2ᵏ is a normal number and the product is exact.
    return p * Double(bitPattern: UInt64(1023 + Int(k)) << 52)
}

private let ln2Hi = Double(bitPattern: 0x3FE6_2E42_FEE0_0000)
private let ln2Lo = Double(bitPattern: 0x3DEA_39EF_3579_3C76)
private let invLn2 = Double(bitPattern: 0x3FF7_1547_652B_82FE)

/// 1/n! for n = 0…13, each rounded to binary64 (hex literals are exact).
private let taylor: [Double] = [
    0x1.0000000000000p+0, 0x1.0000000000000p+0, 0x1.0000000000000p-1, 0x1.5555555555555p-3,
    0x1.5555555555555p-5, 0x1.1111111111111p-7, 0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01ap-13,
    0x1.a01a01a01a01ap-16, 0x1.71de3a556c734p-19, 0x1.27e4fb7789f5cp-22, 0x1.ae64567f544e4p-26,
    0x1.1eed8eff8d898p-29, 0x1.6124613a86d09p-33,
]
