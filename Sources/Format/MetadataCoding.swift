/// Decodes one metadata value from exactly its `value_length` bytes (spec/FORMAT.md §2.2). Every fault is
/// reported at the entry's `value_type` byte, `at`.
enum MetadataValueDecoder {
    static func decode(_ type: MetadataTypeCode, _ bytes: [UInt8], key: String, at: UInt64) throws -> KRUMetadataValue {
        func fault(_ message: String) -> KRUFormatError {
            KRUFormatError(.badValue, at: at, "metadata \"\(key)\": \(message)")
        }
        func fixed(_ length: Int) throws {
            guard bytes.count == length else { throw fault("a \(type) value is \(length) bytes, not \(bytes.count)") }
        }
        switch type {
        case .bool:
            try fixed(1)
            return .bool(try boolean(bytes[0], fault))
        case .int:
            try fixed(8)
            return .int(Int64(bitPattern: littleEndian(bytes)))
        case .float:
            try fixed(8)
            return .float(Double(bitPattern: littleEndian(bytes)))
        case .string:
            guard bytes.count <= KRUFormatLimits.maxStringLength else {
                throw fault("string of \(bytes.count) bytes is over the 1 MiB limit")
            }
            return .string(try utf8(bytes, key: key, at: at))
        case .array:
            return try array(bytes, key: key, at: at, fault)
        }
    }

    private static func boolean(_ byte: UInt8, _ fault: (String) -> KRUFormatError) throws -> Bool {
        guard byte <= 1 else { throw fault("bool byte is \(byte), not 0 or 1") }
        return byte == 1
    }

    private static func utf8(_ bytes: [UInt8], key: String, at: UInt64) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw KRUFormatError(.badUTF8, at: at, "metadata \"\(key)\": a string is not valid UTF-8")
        }
        return text
    }

    private static func array(_ bytes: [UInt8], key: String, at: UInt64,
                              _ fault: (String) -> KRUFormatError) throws -> KRUMetadataValue {
        guard bytes.count >= 5 else { throw fault("an array value needs at least 5 bytes, has \(bytes.count)") }
        let elementCode = bytes[0]
        guard let elementType = MetadataTypeCode(rawValue: elementCode), elementType != .array else {
            throw KRUFormatError(.badValueType, at: at,
                                 "metadata \"\(key)\": unknown array element type \(elementCode)")
        }
        let count = UInt32(littleEndian(bytes[1..<5]))
        guard count <= KRUFormatLimits.maxArrayCount else {
            throw fault("array of \(count) elements is over the limit of \(KRUFormatLimits.maxArrayCount)")
        }
        let body = bytes.count - 5
        // Fixed-size elements: the exact length is known before anything is allocated.
        func fixedElements(_ size: Int) throws {
            guard body == Int(count) * size else {
                throw fault("\(count) elements of \(size) bytes need \(Int(count) * size) bytes, the value has \(body)")
            }
        }
        let n = Int(count)
        switch elementType {
        case .bool:
            try fixedElements(1)
            return .boolArray(try (0..<n).map { try boolean(bytes[5 + $0], fault) })
        case .int:
            try fixedElements(8)
            return .intArray((0..<n).map { Int64(bitPattern: littleEndian(bytes[5 + 8 * $0..<13 + 8 * $0])) })
        case .float:
            try fixedElements(8)
            return .floatArray((0..<n).map { Double(bitPattern: littleEndian(bytes[5 + 8 * $0..<13 + 8 * $0])) })
        case .string:
            // Each element needs at least its 4-byte length, so `count` is bounded by the bytes present.
            guard n <= body / 4 else { throw fault("\(count) strings cannot fit in \(body) bytes") }
            var strings: [String] = []
            strings.reserveCapacity(n)
            var position = 5
            for _ in 0..<n {
                guard bytes.count - position >= 4 else { throw fault("array strings reach past the end of the value") }
                let length = Int(littleEndian(bytes[position..<position + 4]))
                position += 4
                guard length <= Int(KRUFormatLimits.maxStringLength) else {
                    throw fault("array string of \(length) bytes is over the 1 MiB limit")
                }
                guard bytes.count - position >= length else {
                    throw fault("array strings reach past the end of the value")
                }
                strings.append(try utf8(Array(bytes[position..<position + length]), key: key, at: at))
                position += length
            }
            guard position == bytes.count else {
                throw fault("\(bytes.count - position) bytes follow the last array string")
            }
            return .stringArray(strings)
        case .array:
            fatalError("unreachable: nested arrays are refused above")
        }
    }
}

/// Encodes metadata values; the inverse of ``MetadataValueDecoder``.
enum MetadataValueEncoder {
    static func encode(_ value: KRUMetadataValue, into buffer: inout ByteBuffer) {
        var body = ByteBuffer()
        let type: MetadataTypeCode
        switch value {
        case .bool(let v): type = .bool; body.u8(v ? 1 : 0)
        case .int(let v): type = .int; body.u64(UInt64(bitPattern: v))
        case .float(let v): type = .float; body.u64(v.bitPattern)
        case .string(let v): type = .string; body.raw(v.utf8)
        case .boolArray(let v): type = .array; arrayHeader(.bool, v.count, &body); v.forEach { body.u8($0 ? 1 : 0) }
        case .intArray(let v):
            type = .array; arrayHeader(.int, v.count, &body); v.forEach { body.u64(UInt64(bitPattern: $0)) }
        case .floatArray(let v):
            type = .array; arrayHeader(.float, v.count, &body); v.forEach { body.u64($0.bitPattern) }
        case .stringArray(let v): type = .array; arrayHeader(.string, v.count, &body); v.forEach { body.string($0) }
        }
        buffer.u8(type.rawValue)
        buffer.u32(UInt32(body.bytes.count))
        buffer.raw(body.bytes)
    }

    private static func arrayHeader(_ element: MetadataTypeCode, _ count: Int, _ body: inout ByteBuffer) {
        body.u8(element.rawValue)
        body.u32(UInt32(count))
    }
}
