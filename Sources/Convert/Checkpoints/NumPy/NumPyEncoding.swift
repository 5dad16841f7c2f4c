/// Writes `.npy` version 1.0: magic, version, u16 header length, the header dict padded with spaces and a
/// newline to a multiple of 64 bytes (what NumPy writes), then little-endian C-order data.
enum NumPyEncoding {
    static func encode(_ array: NumPyArray, file: String = "<memory>") throws -> [UInt8] {
        let context = CheckpointContext(file: file)
        var count = 1
        for dim in array.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard dim >= 0, !overflow else {
                throw context.error(.dataSizeMismatch, at: nil, "invalid shape \(array.shape)")
            }
            count = product
        }
        guard array.values.count == count else {
            throw context.error(.dataSizeMismatch, at: nil,
                                "shape \(array.shape) needs \(count) values but \(array.values.count) were given")
        }

        var out: [UInt8] = NumPyDecoding.magic + [1, 0, 0, 0]
        let shapeText = array.shape.count == 1 ? "(\(array.shape[0]),)"
                                               : "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        var header = Array(
            "{'descr': '\(try descr(array.dtype, context))', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
        let unpadded = out.count + header.count + 1
        header += [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64) + [0x0a]
        guard header.count <= Int(UInt16.max) else {
            throw context.error(.dataSizeMismatch, at: nil,
                                "shape \(array.shape) needs a header longer than version 1.0 allows")
        }
        out[8] = UInt8(header.count & 0xff)
        out[9] = UInt8(header.count >> 8)
        out += header
        out.reserveCapacity(out.count + count * array.dtype.byteCount)
        try appendData(array, to: &out, context: context)
        return out
    }

    private static func descr(_ dtype: CheckpointDType, _ context: CheckpointContext) throws -> String {
        switch dtype {
        case .float64: "<f8"
        case .float32: "<f4"
        case .int64: "<i8"
        case .int32: "<i4"
        case .int16: "<i2"
        case .int8: "|i1"
        case .uint64: "<u8"
        case .uint32: "<u4"
        case .uint16: "<u2"
        case .uint8: "|u1"
        case .bool: "|b1"
        case .float16, .bfloat16:
            throw context.error(.unsupportedDType(dtype.rawValue), at: nil,
                                "writing \(dtype.rawValue) .npy arrays is not supported")
        }
    }

    private static func appendData(_ array: NumPyArray, to out: inout [UInt8], context: CheckpointContext) throws {
        func little<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        switch (array.dtype, array.values) {
        case (.float32, .float(let v)): v.forEach { little($0.bitPattern) }
        case (.float64, .double(let v)): v.forEach { little($0.bitPattern) }
        case (.float32, .double(let v)): v.forEach { little(Float($0).bitPattern) }
        case (.float64, .float(let v)): v.forEach { little(Double($0).bitPattern) }
        case (let dtype, .integer(let v)) where !dtype.isFloatingPoint:
            let range: ClosedRange<Int64> = switch dtype {
            case .int32: Int64(Int32.min)...Int64(Int32.max)
            case .int16: Int64(Int16.min)...Int64(Int16.max)
            case .int8: Int64(Int8.min)...Int64(Int8.max)
            case .uint32: 0...Int64(UInt32.max)
            case .uint16: 0...Int64(UInt16.max)
            case .uint8: 0...255
            case .bool: 0...1
            case .uint64: 0...Int64.max
            default: Int64.min...Int64.max
            }
            if let bad = v.first(where: { !range.contains($0) }) {
                throw context.error(.dataSizeMismatch, at: nil, "value \(bad) does not fit \(dtype.rawValue)")
            }
            for x in v {
                switch dtype.byteCount {
                case 8: little(UInt64(bitPattern: x))
                case 4: little(UInt32(truncatingIfNeeded: x))
                case 2: little(UInt16(truncatingIfNeeded: x))
                default: out.append(UInt8(truncatingIfNeeded: x))
                }
            }
        default:
            throw context.error(.unsupportedDType(array.dtype.rawValue), at: nil,
                                "\(array.dtype.rawValue) cannot be written from these values (floating values need a "
                                    + "floating dtype, integer values an integer dtype)")
        }
    }
}
