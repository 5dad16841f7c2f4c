/// Reads one `.npy` array: magic, version 1.0/2.0/3.0, the strict header, then exactly the data the shape needs.
enum NumPyDecoding {
    static let magic: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]  // \x93NUMPY

    /// Where an array's elements are: type, byte order, shape and strides, and the data's place.
    struct Layout {
        let dtype: CheckpointDType
        let byteOrder: StorageByteOrder
        let layout: StridedLayout
        /// Offset of the first data byte from the array's start, and the data's length.
        let dataOffset: UInt64
        let dataLength: Int
    }

    /// Checks the array in `source[start ..< start + length]` — magic, version, header, and that exactly the
    /// data the shape needs follows — reading only the preamble and the header.
    static func layout(_ source: CheckpointByteSource, start: UInt64 = 0, length: UInt64, context: CheckpointContext,
                       limits: CheckpointLimits) throws -> Layout {
        guard length >= 10 else {
            throw context.error(.truncated, at: start, "a .npy file has at least 10 bytes; this one has \(length)")
        }
        let lead = try source.read(at: start, count: Int(min(length, 12)), ".npy preamble", context)
        guard lead.starts(with: magic) else {
            throw context.error(.unknownFormat, at: start,
                                "not a .npy array: it starts with \(hexPreview(lead)), "
                                    + "not 93 4e 55 4d 50 59 (\\x93NUMPY)")
        }
        let major = lead[6], minor = lead[7]
        guard (1...3).contains(major), minor == 0 else {
            throw context.error(.npyUnsupportedVersion, at: start + 6,
                                ".npy version \(major).\(minor) is not supported (1.0, 2.0, 3.0 are)")
        }
        let headerStart: UInt64 = major == 1 ? 10 : 12
        guard length >= headerStart else {
            throw context.error(.truncated, at: start, "the .npy preamble needs \(headerStart) bytes")
        }
        let headerLength = major == 1 ? littleEndianUInt64(lead[8..<10]) : littleEndianUInt64(lead[8..<12])
        guard headerLength <= UInt64(limits.maxNpyHeaderBytes) else {
            throw context.limit(.npyHeaderBytes, at: start + 8,
                                "the header claims \(headerLength) bytes; the limit is \(limits.maxNpyHeaderBytes)")
        }
        guard headerLength <= length - headerStart else {
            throw context.error(.truncated, at: start + 8,
                                "the header claims \(headerLength) bytes but \(length - headerStart) follow")
        }
        let text = try source.read(at: start + headerStart, count: Int(headerLength), ".npy header", context)
        let header = try NumPyHeaderParser.parse(text, base: start + headerStart, context: context)
        let (dtype, byteOrder) = try dtypeOf(header.descr, context: context, at: start + headerStart)

        let elements = try StridedLayout.elementCount(of: header.shape, limits: limits, context: context,
                                                      at: start + headerStart)
        let dataStart = headerStart + headerLength
        let needed = UInt64(elements) * UInt64(dtype.byteCount)  // both capped: no overflow
        let present = length - dataStart
        guard present == needed else {
            throw context.error(.dataSizeMismatch, at: start + dataStart,
                                "shape \(header.shape) of \(header.descr) needs \(needed) data bytes but \(present) "
                                    + "follow the header")
        }
        guard needed <= limits.maxBlobBytes else {
            throw context.limit(.blobBytes, at: start + dataStart,
                                "the array holds \(needed) bytes; the limit is \(limits.maxBlobBytes)")
        }
        let strides = header.fortranOrder ? StridedLayout.columnMajor(header.shape.map { Int($0) })
                                          : StridedLayout.rowMajor(header.shape.map { Int($0) })
        let layout = try StridedLayout(shape: header.shape, strides: strides.map { Int64($0) }, offset: 0,
                                       storageElements: elements, limits: limits, context: context,
                                       at: start + dataStart)
        return Layout(dtype: dtype, byteOrder: byteOrder, layout: layout, dataOffset: dataStart,
                      dataLength: Int(needed))
    }

    /// Reads and decodes the whole array in `source[start ..< start + length]` (for ``NumPyArray``).
    static func decode(_ source: CheckpointByteSource, start: UInt64 = 0, length: UInt64, context: CheckpointContext,
                       limits: CheckpointLimits) throws -> NumPyArray {
        let found = try layout(source, start: start, length: length, context: context, limits: limits)
        let data = try source.read(at: start + found.dataOffset, count: found.dataLength, ".npy data", context)
        let values = try ElementDecoding.decode(data, dtype: found.dtype, byteOrder: found.byteOrder,
                                                layout: found.layout, context: context)
        return NumPyArray(shape: found.layout.shape, values: values, dtype: found.dtype)
    }

    /// The array as a lazily decoded checkpoint tensor whose data lies in `storage`.
    static func tensor(_ found: Layout, name: String, storage: any StorageBytes, storageName: String,
                       budget: MaterializationBudget, context: CheckpointContext) -> CheckpointTensor {
        let view = StorageView(storage: storage, storageName: storageName, storageElements: found.layout.elementCount,
                               dtype: found.dtype, byteOrder: found.byteOrder, layout: found.layout, budget: budget,
                               context: context)
        return CheckpointTensor(name: name, dtype: found.dtype, shape: found.layout.shape, elements: .stored(view))
    }

    /// `<f4`, `>i8`, `|u1`, ...: little- and big-endian numbers (big-endian ones are converted) and 1-byte types.
    static func dtypeOf(_ descr: String, context: CheckpointContext,
                        at offset: UInt64) throws -> (CheckpointDType, StorageByteOrder) {
        let types: [String: CheckpointDType] = [
            "f8": .float64, "f4": .float32, "f2": .float16,
            "i8": .int64, "i4": .int32, "i2": .int16, "i1": .int8,
            "u8": .uint64, "u4": .uint32, "u2": .uint16, "u1": .uint8, "b1": .bool,
        ]
        guard descr.count == 3, let order = descr.first, let dtype = types[String(descr.dropFirst())] else {
            throw context.error(.unsupportedDType(descr), at: offset,
                                "dtype \(quotedForMessage(descr)) is not supported")
        }
        switch (order, dtype.byteCount) {
        case ("<", _): return (dtype, .little)
        case (">", _): return (dtype, .big)
        case ("|", 1): return (dtype, .little)
        default:
            throw context.error(.unsupportedDType(descr), at: offset,
                                "dtype \(quotedForMessage(descr)) has no definite byte order ('<' or '>' for "
                                    + "multi-byte types, '|' for single bytes)")
        }
    }
}
