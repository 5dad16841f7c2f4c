import Testing
@testable import KRUFormat

/// Rounding to f16 and bf16 (`KRUTensor(name:shape:floats:storedAs:)`) against independent oracles: the
/// platform's own `Float16` conversion (IEEE 754, done by the compiler's runtime or the CPU) for f16, and for bf16
/// the nearer of the two bfloat16 neighbours of each value, chosen in `Double` arithmetic.
struct HalfPrecisionTests {
    /// Values that exercise every branch: signed zeros, subnormal halves and the ties around them, the largest
    /// finite halves, exact ties between neighbours, infinities, and values that are exact in both types.
    static let edgeCases: [Float] = [
        0, -0, 1, -1, 0.5, 65504, -65504, 65519.99, 65520 - 1 / 128, 6.1035156e-05, 6.097555e-05,
        5.9604645e-08, 2.9802322e-08, 2.9802326e-08, 8.940697e-08, 1.4901161e-08, 1e-10, 3.0e-08,
        1 + 1 / 2048, 1 + 3 / 2048, 1 + 1 / 256, 1 + 3 / 256, 1 + 1 / 512, 2049, 2051, 0.1, -0.3, 3.14159265,
        .infinity, -.infinity, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude / 2,
    ]

    /// Seeded random bit patterns over the whole finite range that f16 can hold, and over all finite floats for
    /// bf16 (overflowing values are tested on their own).
    static func randomFloats(count: Int, seed: UInt64, largest: Float) -> [Float] {
        var generator = SplitMix64(seed: seed)
        var values: [Float] = []
        while values.count < count {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
            if value.isFinite, abs(value) <= largest { values.append(value) }
        }
        return values
    }

    /// Small-magnitude values, where f16's subnormals and rounding to zero live.
    static func randomSmallFloats(count: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let bits = UInt32(truncatingIfNeeded: generator.next())
            let exponent = UInt32(90 + bits % 40) << 23  // 2^-37 … 2^2
            return Float(bitPattern: (bits & 0x8000_0000) | exponent | (bits >> 9 & 0x7F_FFFF))
        }
    }

    static func stored(_ values: [Float], as dtype: KRUDType) throws -> [UInt16] {
        let tensor = try KRUTensor(name: "t", shape: [values.count], floats: values, storedAs: dtype)
        #expect(tensor.dtype == dtype && tensor.bytes.count == 2 * values.count)
        return stride(from: 0, to: tensor.bytes.count, by: 2).map {
            UInt16(tensor.bytes[$0]) | UInt16(tensor.bytes[$0 + 1]) << 8
        }
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    @Test func f16MatchesThePlatformsConversion() throws {
        let inRange = Self.edgeCases.filter { !$0.isFinite || abs($0) < 65520 }  // beyond: refused, tested below
        let values = inRange + Self.randomFloats(count: 50_000, seed: 1, largest: 65504)
            + Self.randomSmallFloats(count: 50_000, seed: 2)
        let bits = try Self.stored(values, as: .f16)
        for (value, got) in zip(values, bits) {
            #expect(got == Float16(value).bitPattern, "\(value)")
        }
    }
    #endif

    @Test func bf16IsTheNearerNeighbourTiesToEven() throws {
        let values = Self.edgeCases + Self.randomFloats(count: 50_000, seed: 3, largest: .greatestFiniteMagnitude / 2)
            + Self.randomSmallFloats(count: 20_000, seed: 4)
        let bits = try Self.stored(values, as: .bf16)
        for (value, got) in zip(values, bits) {
            #expect(got == Self.bf16Oracle(value), "\(value)")
        }
    }

    /// The bfloat16 nearest to `value`: the truncated pattern or the next one away from zero, whichever is closer
    /// in exact (Double) arithmetic; on a tie, the one with an even last bit.
    static func bf16Oracle(_ value: Float) -> UInt16 {
        if value.isInfinite { return UInt16(value.bitPattern >> 16) }
        let down = UInt16(value.bitPattern >> 16)
        let up = down + 1
        let widen = { (bits: UInt16) in Double(Float(bitPattern: UInt32(bits) << 16)) }
        let below = abs(Double(value) - widen(down)), above = abs(widen(up) - Double(value))
        if below != above { return below < above ? down : up }
        return down & 1 == 0 ? down : up
    }

    @Test func theReaderWidensTheStoredValuesBackExactly() throws {
        let values: [Float] = [0.1, -2.5, 1e-6, 300.7]
        for dtype in [KRUDType.f16, .bf16] {
            let tensor = try KRUTensor(name: "w", shape: [2, 2], floats: values, storedAs: dtype)
            let file = try KRUFile(bytes: KRUWriter(tensors: [tensor]).encode())
            let read = try file.tensor(named: "w")
            #expect(read.dtype == dtype && read.shape == [2, 2])
            let widened = try read.floats()
            for (original, back) in zip(values, widened) {
                // Rounding to nearest moves a value by at most half a unit in the last place of the 16-bit type.
                let halfUnit = dtype == .f16 ? Float(1) / 2048 : Float(1) / 256
                #expect(abs(back - original) <= halfUnit * max(abs(original), 6.1035156e-05))
            }
            // Narrowing what is already representable changes nothing.
            let again = try KRUTensor(name: "w", shape: [2, 2], floats: widened, storedAs: dtype)
            #expect(again.bytes == read.bytes)
        }
    }

    @Test func finiteValuesBeyondTheRangeAreRefusedNotMadeInfinite() throws {
        #expect(throws: KRUNarrowingError(tensor: "w", dtype: .f16, value: 65520)) {
            try KRUTensor(name: "w", shape: [2], floats: [1, 65520], storedAs: .f16)
        }
        let lowest = -Double(Float.greatestFiniteMagnitude)
        #expect(throws: KRUNarrowingError(tensor: "w", dtype: .bf16, value: lowest)) {
            try KRUTensor(name: "w", shape: [1], floats: [-.greatestFiniteMagnitude], storedAs: .bf16)
        }
        // The largest values that round to a finite 16-bit number are kept.
        #expect(try Self.stored([65519.99], as: .f16) == [0x7BFF])
        // Infinities and NaN stay what they are (NaN quiet, sign kept).
        #expect(try Self.stored([.infinity, -.infinity], as: .f16) == [0x7C00, 0xFC00])
        let nan = try Self.stored([-Float.nan, Float(bitPattern: 0x7F80_0001)], as: .f16)
        #expect(nan[0] & 0xFE00 == 0xFE00 && nan[1] & 0x7E00 == 0x7E00)
        let bfNaN = try Self.stored([Float(bitPattern: 0x7F80_0001)], as: .bf16)
        #expect(bfNaN[0] & 0x7FC0 == 0x7FC0)
    }

    /// From Double, each value is rounded once. Oracles: NumPy's direct f64 → f16 conversion (`np.float64(x)
    /// .astype(np.float16)`, which does not pass through f32) for the f16 ties, and the closed form for bf16 —
    /// 1 + 2⁻⁸ + 2⁻⁴⁰ lies above the midpoint of 1 and 1 + 2⁻⁷, so it rounds up, to 0x3F81, where the
    /// rounding through Float (which first drops the 2⁻⁴⁰) would tie down to even, 0x3F80.
    @Test func doublesAreRoundedOnce() throws {
        func stored(_ values: [Double], as dtype: KRUDType) throws -> [UInt16] {
            let bytes = try KRUTensor(name: "d", shape: [values.count], doubles: values, storedAs: dtype).bytes
            return stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        }
        // np.float64(1 + 2**-11 + 2**-40).astype(np.float16).view(np.uint16) == 0x3C01 (and 1 + 2**-11 alone ties
        // to even, 0x3C00; the negative mirrors).
        #expect(try stored([1 + 0x1p-11 + 0x1p-40, 1 + 0x1p-11, -(1 + 0x1p-11 + 0x1p-40)], as: .f16)
                == [0x3C01, 0x3C00, 0xBC01])
        #expect(try stored([1 + 0x1p-8 + 0x1p-40, 1 + 0x1p-8], as: .bf16) == [0x3F81, 0x3F80])
        // Values exactly representable as Float give what the Float path gives.
        let floats: [Float] = [0.1, -3.75, 65504, 1e-7, 0]
        #expect(try stored(floats.map(Double.init), as: .f16) == Self.stored(floats, as: .f16))
        // Beyond Float's range, finite: refused, not made infinite first.
        #expect(throws: KRUNarrowingError(tensor: "d", dtype: .f16, value: 1e39)) {
            try KRUTensor(name: "d", shape: [1], doubles: [1e39], storedAs: .f16)
        }
        #expect(throws: KRUNarrowingError(tensor: "d", dtype: .bf16, value: -1e39)) {
            try KRUTensor(name: "d", shape: [1], doubles: [-1e39], storedAs: .bf16)
        }
        // Far below the smallest subnormal: a signed zero; infinities stay infinite.
        #expect(try stored([1e-300, -1e-300, .infinity], as: .f16) == [0x0000, 0x8000, 0x7C00])
    }
}
