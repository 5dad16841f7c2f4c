/// Byte order of stored elements.
enum StorageByteOrder: Equatable { case little, big }

/// Turns raw storage bytes into ``CheckpointValues`` following a validated ``StridedLayout``.
enum ElementDecoding {
    /// Decodes the elements of `layout` from `storage`, which holds at least `storageElements` elements of `dtype`.
    static func decode(_ storage: [UInt8], dtype: CheckpointDType, byteOrder: StorageByteOrder, layout: StridedLayout,
                       context: CheckpointContext) throws -> CheckpointValues {
        // The layout was validated against the storage's declared length; make sure the bytes are really there.
        guard storage.count / dtype.byteCount >= layout.storageElementsNeeded else {
            throw context.error(.dataSizeMismatch, at: nil,
                                "the tensor needs \(layout.storageElementsNeeded) \(dtype.rawValue) elements but its "
                                    + "storage holds \(storage.count) bytes")
        }
        return try storage.withUnsafeBytes { raw in
            let reader = ElementLoader(raw: raw, byteOrder: byteOrder)
            switch dtype {
            case .float32:
                return .float(collect(layout) { Float(bitPattern: reader.u32($0)) })
            case .float16:
                return .float(collect(layout) { floatFromHalfBits(reader.u16($0)) })
            case .bfloat16:
                return .float(collect(layout) { Float(bitPattern: UInt32(reader.u16($0)) << 16) })
            case .float64:
                return .double(collect(layout) { Double(bitPattern: reader.u64($0)) })
            case .int64:
                return .integer(collect(layout) { Int64(bitPattern: reader.u64($0)) })
            case .int32:
                return .integer(collect(layout) { Int64(Int32(bitPattern: reader.u32($0))) })
            case .int16:
                return .integer(collect(layout) { Int64(Int16(bitPattern: reader.u16($0))) })
            case .int8:
                return .integer(collect(layout) { Int64(Int8(bitPattern: reader.u8($0))) })
            case .uint32:
                return .integer(collect(layout) { Int64(reader.u32($0)) })
            case .uint16:
                return .integer(collect(layout) { Int64(reader.u16($0)) })
            case .uint8:
                return .integer(collect(layout) { Int64(reader.u8($0)) })
            case .bool:
                return .integer(collect(layout) { reader.u8($0) == 0 ? 0 : 1 })
            case .uint64:
                var tooLarge: UInt64? = nil
                let values: [Int64] = collect(layout) { index in
                    let v = reader.u64(index)
                    if v > UInt64(Int64.max) { tooLarge = v }
                    return Int64(truncatingIfNeeded: v)
                }
                if let tooLarge {
                    throw context.error(.unsupportedDType("uint64"), at: nil,
                                        "uint64 value \(tooLarge) does not fit in Int64")
                }
                return .integer(values)
            }
        }
    }

    private static func collect<T>(_ layout: StridedLayout, _ element: (Int) -> T) -> [T] {
        var values: [T] = []
        values.reserveCapacity(layout.elementCount)
        layout.forEachStorageIndex { values.append(element($0)) }
        return values
    }
}

/// Loads one element by index; the caller has validated every index against the buffer length.
private struct ElementLoader {
    let raw: UnsafeRawBufferPointer
    let byteOrder: StorageByteOrder

    func u8(_ i: Int) -> UInt8 { raw[i] }
    func u16(_ i: Int) -> UInt16 {
        let v = raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
        return byteOrder == .little ? UInt16(littleEndian: v) : UInt16(bigEndian: v)
    }
    func u32(_ i: Int) -> UInt32 {
        let v = raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
        return byteOrder == .little ? UInt32(littleEndian: v) : UInt32(bigEndian: v)
    }
    func u64(_ i: Int) -> UInt64 {
        let v = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
        return byteOrder == .little ? UInt64(littleEndian: v) : UInt64(bigEndian: v)
    }
}

/// IEEE binary16 → binary32, exact (every half value is a float value); NaN payloads are kept.
/// Written out rather than using `Float16`, which is unavailable on some Apple targets.
func floatFromHalfBits(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1f
    let mantissa = UInt32(bits & 0x3ff)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa · 2^−24, exact in float.
        let magnitude = Float(mantissa) * 0x1p-24
        return Float(bitPattern: sign | magnitude.bitPattern)
    case 0x1f:
        return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}
