/// A named tensor with its raw little-endian bytes, as stored in a `.kru` file.
///
/// Build one from typed values (`KRUTensor(name:shape:floats:)`, …) to write it; read its values back with the
/// typed accessors, which convert from any compatible stored type (f16, bf16, f32, f64 → `Float`/`Double`).
public struct KRUTensor: Equatable, Sendable {
    public let name: String
    public let dtype: KRUDType
    /// Row-major shape; empty for a scalar.
    public let shape: [Int]
    /// The raw bytes: element count × dtype size, little-endian, row-major.
    public let bytes: [UInt8]

    /// A tensor from raw bytes. The byte count must equal the shape's element count times the dtype size.
    public init(name: String, dtype: KRUDType, shape: [Int], bytes: [UInt8]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(bytes.count == shape.reduce(1, *) * dtype.size,
                     "tensor \(name): \(bytes.count) bytes for shape \(shape) of \(dtype)")
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// A f32 tensor.
    public init(name: String, shape: [Int], floats: [Float]) {
        self.init(name: name, dtype: .f32, shape: shape, bytes: encode(floats.map { UInt64($0.bitPattern) }, width: 4))
    }

    /// A f64 tensor.
    public init(name: String, shape: [Int], doubles: [Double]) {
        self.init(name: name, dtype: .f64, shape: shape, bytes: encode(doubles.map { $0.bitPattern }, width: 8))
    }

    /// A complex64 tensor from split real and imaginary planes of equal length.
    public init(name: String, shape: [Int], real: [Float], imaginary: [Float]) {
        precondition(real.count == imaginary.count, "real and imaginary planes differ in length")
        let interleaved = zip(real, imaginary).flatMap { [UInt64($0.bitPattern), UInt64($1.bitPattern)] }
        self.init(name: name, dtype: .complex64, shape: shape, bytes: encode(interleaved, width: 4))
    }

    /// An i64 tensor.
    public init(name: String, shape: [Int], int64s: [Int64]) {
        self.init(name: name, dtype: .i64, shape: shape, bytes: encode(int64s.map { UInt64(bitPattern: $0) }, width: 8))
    }

    /// An i32 tensor.
    public init(name: String, shape: [Int], int32s: [Int32]) {
        self.init(name: name, dtype: .i32, shape: shape,
                  bytes: encode(int32s.map { UInt64(UInt32(bitPattern: $0)) }, width: 4))
    }

    /// The values as `Double`, from any real floating-point dtype (exact for all of them).
    public func doubles() throws -> [Double] {
        switch dtype {
        case .f64: return words(8).map { Double(bitPattern: $0) }
        case .f32: return words(4).map { Double(Float(bitPattern: UInt32($0))) }
        case .f16: return words(2).map { Double(halfToFloat(UInt16($0))) }
        case .bf16: return words(2).map { Double(Float(bitPattern: UInt32($0) << 16)) }
        default: throw KRUTensorTypeError(tensor: name, dtype: dtype, wanted: "real floating-point")
        }
    }

    /// The values as `Float`, from any real floating-point dtype (f64 is rounded).
    public func floats() throws -> [Float] {
        if dtype == .f32 { return words(4).map { Float(bitPattern: UInt32($0)) } }
        return try doubles().map { Float($0) }
    }

    /// Split real and imaginary planes as `Double`, from complex64 or complex128.
    public func complexDoubles() throws -> (real: [Double], imaginary: [Double]) {
        let parts: [Double]
        switch dtype {
        case .complex64: parts = words(4).map { Double(Float(bitPattern: UInt32($0))) }
        case .complex128: parts = words(8).map { Double(bitPattern: $0) }
        default: throw KRUTensorTypeError(tensor: name, dtype: dtype, wanted: "complex")
        }
        return (stride(from: 0, to: parts.count, by: 2).map { parts[$0] },
                stride(from: 1, to: parts.count, by: 2).map { parts[$0] })
    }

    /// Split real and imaginary planes as `Float`, from complex64 or complex128.
    public func complexFloats() throws -> (real: [Float], imaginary: [Float]) {
        let (re, im) = try complexDoubles()
        return (re.map { Float($0) }, im.map { Float($0) })
    }

    /// The values as `Int64`, from any integer dtype.
    public func int64s() throws -> [Int64] {
        switch dtype {
        case .u8: return bytes.map { Int64($0) }
        case .i8: return bytes.map { Int64(Int8(bitPattern: $0)) }
        case .i32: return words(4).map { Int64(Int32(bitPattern: UInt32($0))) }
        case .i64: return words(8).map { Int64(bitPattern: $0) }
        default: throw KRUTensorTypeError(tensor: name, dtype: dtype, wanted: "integer")
        }
    }

    /// The bytes cut into little-endian words of `width` bytes.
    private func words(_ width: Int) -> [UInt64] {
        stride(from: 0, to: bytes.count, by: width).map { littleEndian(bytes[$0..<$0 + width]) }
    }
}

/// Asking a tensor for values of a kind its dtype does not hold.
public struct KRUTensorTypeError: Error, CustomStringConvertible, Equatable {
    public let tensor: String
    public let dtype: KRUDType
    public let wanted: String
    public var description: String { "tensor \"\(tensor)\" is \(dtype), not \(wanted)" }
}

private func encode(_ words: [UInt64], width: Int) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(words.count * width)
    for word in words {
        for i in 0..<width { out.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i)))) }
    }
    return out
}

/// IEEE binary16 → binary32, exact (every half is a float). Written out because `Float16` is missing on some
/// platforms.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa · 2^-24.
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign == 0 ? magnitude : -magnitude
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))  // Inf or NaN, payload kept.
    default:
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}
