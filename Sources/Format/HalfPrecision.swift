/// Rounding `Float` values to the format's two 16-bit float types (spec/FORMAT.md §3), for writers that store
/// weights at reduced precision. Both round to nearest, ties to even — what IEEE 754 conversion, NumPy's
/// `astype(float16)` and PyTorch's `.to(bfloat16)` do — so a file narrowed here holds the same bits as one
/// narrowed by those tools, NaN payloads aside (a NaN stays a quiet NaN of the same sign; NumPy keeps the payload's
/// top bits unquieted, PyTorch writes one canonical NaN). Written out because `Float16` is missing on some
/// platforms.
extension KRUTensor {
    /// A f16 or bf16 tensor (or f32, stored as given) from `Float` values rounded to nearest, ties to even.
    ///
    /// Throws ``KRUNarrowingError`` when a finite value lies beyond the type's range (f16's largest finite
    /// value is 65504): it would silently become infinite. Infinities and NaNs stay what they are.
    ///
    /// - Precondition: `dtype` is `.f16`, `.bf16` or `.f32`; any other type is a programming error.
    public init(name: String, shape: [Int], floats: [Float], storedAs dtype: KRUDType) throws {
        switch dtype {
        case .f32:
            self.init(name: name, shape: shape, floats: floats)
        case .f16, .bf16:
            try self.init(name: name, shape: shape, count: floats.count, narrowedTo: dtype) {
                (floats[$0], Double(floats[$0]))
            }
        default:
            preconditionFailure("storedAs: takes f16, bf16 or f32, not \(dtype)")
        }
    }
}

extension KRUTensor {
    /// A f16 or bf16 tensor from `Double` values, each rounded once to nearest, ties to even — not through `Float`,
    /// which would round twice (1 + 2⁻¹¹ + 2⁻⁴⁰ would become 1 in f16 instead of 1 + 2⁻¹⁰) and would
    /// turn a finite value beyond `Float`'s range into an infinity before the range check saw it.
    ///
    /// Throws ``KRUNarrowingError`` when a finite value lies beyond the type's range.
    ///
    /// - Precondition: `dtype` is `.f16` or `.bf16`.
    public init(name: String, shape: [Int], doubles: [Double], storedAs dtype: KRUDType) throws {
        precondition(dtype == .f16 || dtype == .bf16, "storedAs: takes f16 or bf16, not \(dtype)")
        try self.init(name: name, shape: shape, count: doubles.count, narrowedTo: dtype) {
            (floatRoundedToOdd(doubles[$0]), doubles[$0])
        }
    }

    /// The 16-bit tensor of `count` values; `element(i)` gives value i as a `Float` to round (exact, or rounded to
    /// odd from a wider value) and the value as given, for the range check and the error.
    private init(name: String, shape: [Int], count: Int, narrowedTo dtype: KRUDType,
                 element: (Int) -> (Float, Double)) throws {
        let round = dtype == .f16 ? halfBits : bfloat16Bits
        // An all-ones exponent is an infinity or a NaN: from a finite value, an overflow.
        let exponentAllOnes: UInt16 = dtype == .f16 ? 0x7C00 : 0x7F80
        var bytes = [UInt8]()
        bytes.reserveCapacity(count * 2)
        for i in 0..<count {
            let (value, given) = element(i)
            let bits = round(value)
            if given.isFinite, bits & exponentAllOnes == exponentAllOnes {
                throw KRUNarrowingError(tensor: name, dtype: dtype, value: given)
            }
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
        }
        self.init(name: name, dtype: dtype, shape: shape, bytes: bytes)
    }
}

/// `value` as a `Float` rounded to odd: toward zero, with the last significand bit set when that was inexact. Float
/// keeps 13 (f16) and 16 (bf16) more significand bits than the 16-bit types, and rounding to odd with at least two
/// spare bits makes the later rounding to nearest the correct rounding of `value` itself.
func floatRoundedToOdd(_ value: Double) -> Float {
    guard value.isFinite else { return Float(value) }  // ±∞ stay infinite, a NaN stays a NaN
    var rounded = Float(value)  // to nearest; may be ∞ beyond Float's range
    if Double(rounded).magnitude > value.magnitude { rounded = rounded > 0 ? rounded.nextDown : rounded.nextUp }
    if Double(rounded) != value { rounded = Float(bitPattern: rounded.bitPattern | 1) }
    return rounded
}

/// A finite value too large for the 16-bit type a tensor was to be stored as.
public struct KRUNarrowingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The tensor being narrowed.
    public let tensor: String
    /// The 16-bit type it was to be stored as.
    public let dtype: KRUDType
    /// The first of its values that would have become infinite.
    public let value: Double
    public var description: String {
        "tensor \"\(tensor)\" holds \(value), beyond the range of \(dtype) (it would become infinite)"
    }
}

/// binary32 → binary16 bits, rounded to nearest, ties to even; overflow gives ±infinity, NaN stays a quiet NaN.
func halfBits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x7F_FFFF
    if exponent == 0xFF {
        return sign | 0x7C00 | (mantissa == 0 ? 0 : 0x200 | UInt16(truncatingIfNeeded: mantissa >> 13))
    }
    let halfExponent = exponent - 127 + 15
    if halfExponent >= 0x1F { return sign | 0x7C00 }
    if halfExponent <= 0 {
        // A half subnormal (or zero): the value in units of 2^-24, the full significand shifted right.
        guard halfExponent >= -10 else { return sign }  // below half the smallest subnormal: ±0
        let significand = mantissa | 0x80_0000
        let shift = UInt32(14 - halfExponent)
        return sign | UInt16(roundShifted(significand, by: shift))
    }
    // A carry out of the mantissa moves into the exponent, which is the correctly rounded result (up to ∞).
    return sign | UInt16(roundShifted(UInt32(halfExponent) << 23 | mantissa, by: 13))
}

/// binary32 → bfloat16 bits (the high half), rounded to nearest, ties to even; NaN stays a quiet NaN.
func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
    return UInt16(truncatingIfNeeded: roundShifted(bits, by: 16))
}

/// `x >> shift` rounded to nearest, ties to even (1 ≤ shift ≤ 31).
private func roundShifted(_ x: UInt32, by shift: UInt32) -> UInt32 {
    let kept = x >> shift
    let dropped = x & ((1 << shift) - 1)
    let half: UInt32 = 1 << (shift - 1)
    return dropped > half || (dropped == half && kept & 1 == 1) ? kept + 1 : kept
}
