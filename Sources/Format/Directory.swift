/// The parsed directory of a `.kru` file: metadata and tensor entries, checked in the order of
/// spec/FORMAT.md §6 ("Order inside the directory").
struct Directory {
    var metadata: [KRUMetadataEntry] = []
    var tensors: [KRUTensorInfo] = []

    /// Parses `bytes`, the directory that starts at file offset 32, for a file of version 1.`minor`.
    /// `maximumTensorBytes` is the reader's own limit on one tensor's raw bytes.
    init(bytes: [UInt8], minor: UInt16, maximumTensorBytes: UInt64) throws {
        var cursor = ByteCursor(bytes, fileOffset: UInt64(KRUFormatLimits.fixedHeaderSize))
        let strict = minor == 0

        let metadataCountAt = cursor.fileOffset
        let metadataCount = try cursor.u32("metadata_count")
        try Self.checkCount(metadataCount, "metadata entries", at: metadataCountAt)
        var keys = Set<String>()
        for _ in 0..<metadataCount {
            let keyAt = cursor.fileOffset
            let key = try Self.name(&cursor, what: "key", invalid: .badKey, isAllowed: isValidKey)
            guard keys.insert(key).inserted else {
                throw KRUFormatError(.duplicateKey, at: keyAt, "metadata key \"\(key)\" occurs twice")
            }
            let typeAt = cursor.fileOffset
            let typeCode = try cursor.u8("value_type")
            let valueLength = try cursor.u32("value_length")
            let value = try cursor.bytes(Int(valueLength), "the value of \"\(key)\"")
            guard let type = MetadataTypeCode(rawValue: typeCode) else {
                if strict {
                    throw KRUFormatError(.badValueType, at: typeAt,
                                         "metadata \"\(key)\" has unknown value type \(typeCode) in a v1.0 file")
                }
                continue  // A later minor's type: skipped as the versioning policy says.
            }
            metadata.append(KRUMetadataEntry(key, try MetadataValueDecoder.decode(type, value, key: key, at: typeAt)))
        }

        let tensorCountAt = cursor.fileOffset
        let tensorCount = try cursor.u32("tensor_count")
        try Self.checkCount(tensorCount, "tensors", at: tensorCountAt)
        var names = Set<String>()
        for _ in 0..<tensorCount {
            let nameAt = cursor.fileOffset
            let name = try Self.name(&cursor, what: "tensor name", invalid: .badTensorName,
                                     isAllowed: isValidTensorName)
            guard names.insert(name).inserted else {
                throw KRUFormatError(.duplicateTensor, at: nameAt, "tensor \"\(name)\" occurs twice")
            }
            tensors.append(try Self.tensorEntry(&cursor, name: name, strict: strict,
                                                maximumTensorBytes: maximumTensorBytes))
        }
        guard cursor.isAtEnd else {
            throw KRUFormatError(.directoryTrailing, at: cursor.fileOffset,
                                 "\(cursor.remaining) bytes follow the last tensor entry inside the directory")
        }
    }

    private static func checkCount(_ count: UInt32, _ what: String, at offset: UInt64) throws {
        guard count <= KRUFormatLimits.maxEntries else {
            throw KRUFormatError(.tooManyEntries, at: offset,
                                 "\(count) \(what), more than the limit of \(KRUFormatLimits.maxEntries)")
        }
    }

    /// A key or tensor name: length limit, fit, UTF-8, then form.
    private static func name(_ cursor: inout ByteCursor, what: String, invalid: KRUFormatError.Code,
                             isAllowed: (String) -> Bool) throws -> String {
        let at = cursor.fileOffset
        let length = try cursor.u32("\(what) length")
        guard length >= 1 && length <= UInt32(KRUFormatLimits.maxNameLength) else {
            throw KRUFormatError(invalid, at: at,
                                 "\(what) length \(length) is outside 1–\(KRUFormatLimits.maxNameLength)")
        }
        guard Int(length) <= cursor.remaining else {
            throw KRUFormatError(.directoryOverrun, at: at,
                                 "\(what) of \(length) bytes reaches past the end of the directory")
        }
        let bytes = try cursor.bytes(Int(length), what)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw KRUFormatError(.badUTF8, at: at, "\(what) is not valid UTF-8")
        }
        guard isAllowed(text) else {
            throw KRUFormatError(invalid, at: at, "\(what) \(text.debugDescription) is not of the allowed form")
        }
        return text
    }

    private static func tensorEntry(_ cursor: inout ByteCursor, name: String, strict: Bool,
                                    maximumTensorBytes: UInt64) throws -> KRUTensorInfo {
        let dtypeAt = cursor.fileOffset
        let dtypeCode = try cursor.u8("dtype")
        guard let dtype = KRUDType(rawValue: dtypeCode) else {
            throw KRUFormatError(.badDType, at: dtypeAt, "tensor \"\(name)\" has unknown dtype \(dtypeCode)")
        }
        let compressionAt = cursor.fileOffset
        let compressionCode = try cursor.u8("compression")
        guard let compression = KRUCompression(rawValue: compressionCode) else {
            throw KRUFormatError(.badCompression, at: compressionAt,
                                 "tensor \"\(name)\" has unknown compression \(compressionCode)")
        }
        let rankAt = cursor.fileOffset
        let rank = try cursor.u8("rank")
        guard rank <= KRUFormatLimits.maxRank else {
            throw KRUFormatError(.badShape, at: rankAt, "tensor \"\(name)\" has rank \(rank), over the limit of 8")
        }
        let reservedAt = cursor.fileOffset
        let reserved = try cursor.u8("reserved")
        guard !strict || reserved == 0 else {
            throw KRUFormatError(.reservedNonzero, at: reservedAt,
                                 "tensor \"\(name)\": reserved byte is \(reserved) in a v1.0 file")
        }
        var shape: [Int] = []
        // The product of the non-zero dimensions must stay ≤ 2^40 too: a 0 dimension empties the tensor but
        // does not excuse absurd other dimensions.
        var nonzeroProduct: UInt64 = 1
        for _ in 0..<rank {
            let dimension = try cursor.u64("a dimension")
            guard dimension <= KRUFormatLimits.maxElementCount else {
                throw KRUFormatError(.badShape, at: rankAt, "tensor \"\(name)\" has dimension \(dimension), over 2^40")
            }
            shape.append(Int(dimension))
            // Both factors are ≤ 2^40 after the previous check, but their product may not be: check before multiplying.
            let (product, overflow) = nonzeroProduct.multipliedReportingOverflow(by: max(dimension, 1))
            guard !overflow && product <= KRUFormatLimits.maxElementCount else {
                throw KRUFormatError(.badShape, at: rankAt, "tensor \"\(name)\" has more than 2^40 elements")
            }
            nonzeroProduct = product
        }
        let elementCount = shape.contains(0) ? 0 : nonzeroProduct
        let offsetAt = cursor.fileOffset
        let offset = try cursor.u64("offset")
        let storedAt = cursor.fileOffset
        let stored = try cursor.u64("stored_length")
        let rawAt = cursor.fileOffset
        let raw = try cursor.u64("raw_length")
        let crc = try cursor.u32("crc32")

        let expectedRaw = elementCount * UInt64(dtype.size)  // ≤ 2^44: no overflow.
        guard raw == expectedRaw else {
            throw KRUFormatError(.badRawLength, at: rawAt,
                                 "tensor \"\(name)\" declares \(raw) raw bytes; \(shape) of \(dtype) "
                                     + "needs \(expectedRaw)")
        }
        guard raw <= maximumTensorBytes else {
            throw KRUFormatError(.tensorTooLarge, at: rawAt,
                                 "tensor \"\(name)\" has \(raw) bytes, over this reader's "
                                     + "limit of \(maximumTensorBytes)")
        }
        switch compression {
        case .none where stored != raw:
            throw KRUFormatError(.badStoredLength, at: storedAt,
                                 "uncompressed tensor \"\(name)\" stores \(stored) bytes for \(raw) raw bytes")
        case .zlib where exceedsDeflateRatio(raw: raw, stored: stored):
            throw KRUFormatError(.badStoredLength, at: storedAt,
                                 "zlib tensor \"\(name)\" claims \(raw) raw bytes from \(stored) stored: "
                                     + "beyond DEFLATE's 1032:1")
        default: break
        }
        let extensionAt = cursor.fileOffset
        let extensionLength = try cursor.u16("extension_length")
        guard !strict || extensionLength == 0 else {
            throw KRUFormatError(.reservedNonzero, at: extensionAt,
                                 "tensor \"\(name)\" has \(extensionLength) extension bytes in a v1.0 file")
        }
        try cursor.skip(Int(extensionLength), "extension of \"\(name)\"")
        return KRUTensorInfo(name: name, dtype: dtype, shape: shape, compression: compression, offset: offset,
                             storedLength: stored, rawLength: raw, crc32: crc, offsetFieldPosition: offsetAt)
    }
}

/// True when `raw` bytes cannot come from `stored` bytes of DEFLATE (more than 1032:1).
private func exceedsDeflateRatio(raw: UInt64, stored: UInt64) -> Bool {
    let (bound, overflow) = stored.multipliedReportingOverflow(by: KRUFormatLimits.maxZlibExpansion)
    return !overflow && raw > bound
}

/// `[a-z0-9_]+(\.[a-z0-9_]+)+`: lower-case, namespaced by at least one dot.
func isValidKey(_ key: String) -> Bool {
    let segments = key.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
    return segments.count >= 2 && segments.allSatisfy { segment in
        !segment.isEmpty && segment.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F
        }
    }
}

/// `[A-Za-z0-9_.\-]+`.
func isValidTensorName(_ name: String) -> Bool {
    !name.isEmpty && name.utf8.allSatisfy { byte in
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
            || byte == 0x5F || byte == 0x2E || byte == 0x2D
    }
}
