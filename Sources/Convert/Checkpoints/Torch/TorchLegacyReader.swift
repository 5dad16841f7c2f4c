/// Reads the pre-1.6 `torch.save` format (`_use_new_zipfile_serialization=False`): five pickles in a row —
/// the magic number 0x1950a86a20f9469cfc6c, protocol version 1001, a `sys_info` dict, the object, the list of
/// storage keys — then each storage in key-list order as an int64 element count followed by its raw bytes.
enum TorchLegacyReader {
    /// The magic number as LONG1 writes it: length 10, then the little-endian bytes.
    static let magicLong1: [UInt8] = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]
    static let protocolVersion: Int64 = 1001

    static func read(_ source: CheckpointByteSource, options: CheckpointReadOptions, context: CheckpointContext) throws -> Checkpoint {
        let limits = options.limits
        // Legacy files are read whole: the pickles have no length prefix, so their ends are only known by parsing.
        guard source.size <= limits.maxBlobBytes else {
            throw context.limit(.blobBytes, at: nil, "a legacy checkpoint of \(source.size) bytes exceeds the limit of \(limits.maxBlobBytes)")
        }
        let bytes = try source.read(at: 0, count: Int(source.size), "the file", context)
        var position = 0

        let magicOK = try TorchPickleLoader.plain(bytes, start: position, options: options, context: context, end: &position) { value in
            if case .bigInt(let raw) = value { return raw == Array(magicLong1.dropFirst(2)) }
            return false
        }
        guard magicOK else { throw context.error(.unknownFormat, at: 0, "the first pickle is not torch's legacy magic number") }
        let versionAt = position
        let version = try TorchPickleLoader.plain(bytes, start: position, options: options, context: context, end: &position) { value -> Int64? in
            if case .int(let v) = value { return v }
            return nil
        }
        guard version == protocolVersion else {
            throw context.error(.torchMalformed, at: versionAt, "legacy protocol version \(version.map(String.init) ?? "missing") is not \(protocolVersion)")
        }
        let sysInfoAt = position
        let littleEndian = try TorchPickleLoader.plain(bytes, start: position, options: options, context: context, end: &position) { value -> Bool? in
            guard case .dict(let info) = value else { return nil }
            if case .bool(let little)? = info.value(forString: "little_endian") { return little }
            return true
        }
        guard let littleEndian else { throw context.error(.torchMalformed, at: sysInfoAt, "sys_info is not a dict") }

        let objectAt = position
        let storages = TorchPickleLoader.StorageList()
        let found = try TorchPickleLoader.stateDict(bytes, start: position, options: options,
                                                    context: context.inside("object pickle at byte \(objectAt)"), end: &position,
                                                    storages: storages)
        let keysAt = position
        let keys = try TorchPickleLoader.plain(bytes, start: position, options: options, context: context, end: &position) { value -> [String]? in
            guard case .list(let list) = value else { return nil }
            var keys: [String] = []
            for item in list.items {
                guard case .string(let key) = item else { return nil }
                keys.append(key)
            }
            return keys
        }
        guard let keys, Set(keys).count == keys.count else {
            throw context.error(.torchMalformed, at: keysAt, "the storage key list is not a list of distinct strings")
        }

        // Walk the raw storages in key order. Their element sizes come from the persistent ids.
        let types = storages.byKey
        let order: StorageByteOrder = littleEndian ? .little : .big
        var ranges: [String: Range<Int>] = [:]
        for key in keys {
            guard bytes.count - position >= 8 else {
                throw context.error(.truncated, at: position, "the element count of storage '\(key)' is missing")
            }
            let raw = littleEndianUInt64(bytes[position..<position + 8])
            let count = Int64(bitPattern: order == .little ? raw : raw.byteSwapped)
            let countAt = position
            position += 8
            // The element size comes from the persistent id that named this storage in the object pickle.
            guard let storage = types[key] else {
                throw context.error(.torchMalformed, at: countAt, "storage '\(key)' is not named by the object pickle, so its element size is unknown")
            }
            guard count == Int64(storage.elementCount) else {
                throw context.error(.torchMalformed, at: countAt, "storage '\(key)' holds \(count) elements but its persistent id says \(storage.elementCount)")
            }
            let length = storage.elementCount * storage.dtype.byteCount
            guard bytes.count - position >= length else {
                throw context.error(.truncated, at: position, "storage '\(key)' needs \(length) bytes but \(bytes.count - position) remain")
            }
            ranges[key] = position..<(position + length)
            position += length
        }
        guard position == bytes.count else {
            throw context.error(.torchMalformed, at: position, "\(bytes.count - position) bytes follow the last storage")
        }
        return try TorchTensorMaterializer.materialize(found, format: .torchLegacy, byteOrder: order,
                                                       limits: limits, context: context) { storage in
            guard let range = ranges[storage.key] else {
                throw context.error(.missingEntry(storage.key), at: nil, "the pickle refers to storage '\(storage.key)' but the key list does not name it")
            }
            return Array(bytes[range])
        }
    }
}
