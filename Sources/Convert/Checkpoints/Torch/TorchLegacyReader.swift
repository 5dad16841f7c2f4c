/// Reads the pre-1.6 `torch.save` format (`_use_new_zipfile_serialization=False`): five pickles in a row —
/// the magic number 0x1950a86a20f9469cfc6c, protocol version 1001, a `sys_info` dict, the object, the list of
/// storage keys — then each storage in key-list order as an int64 element count followed by its raw bytes.
enum TorchLegacyReader {
    /// The magic number as LONG1 writes it: length 10, then the little-endian bytes.
    static let magicLong1: [UInt8] = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]
    static let protocolVersion: Int64 = 1001

    /// The pickles of a legacy file have no length prefix: they are parsed from a prefix of the file that starts
    /// at 1 MiB and doubles while a pickle runs past its end, so memory follows the pickles' real size (the
    /// storages after them are never read here).
    static func read(_ source: CheckpointByteSource, options: CheckpointReadOptions, context: CheckpointContext,
                     memory: inout MemoryBudget, firstPrefix: UInt64 = 1 << 20) throws -> Checkpoint {
        var prefixLength = min(source.size, max(firstPrefix, 1))
        while true {
            var attempt = memory
            try attempt.charge(prefixLength, for: "the first \(prefixLength) bytes of the legacy pickles",
                               context: context, at: 0)
            let prefix = try source.read(at: 0, count: Int(prefixLength), "the legacy pickles", context)
            do {
                let pickles = try readPickles(prefix, options: options, context: context, memory: &attempt)
                memory = attempt
                return try checkpoint(pickles, source: source, options: options, context: context)
            } catch let error as CheckpointError where error.kind == .truncated && prefixLength < source.size {
                prefixLength = min(source.size, prefixLength * 2)
            }
        }
    }

    /// What the five pickles say.
    private struct Pickles {
        let found: StateDictExtractor.Result
        let storages: [String: TorchStorageRef]
        let keys: [String]
        let littleEndian: Bool
        /// Where the raw storages start.
        let end: Int
    }

    private static func readPickles(_ bytes: [UInt8], options: CheckpointReadOptions, context: CheckpointContext,
                                    memory: inout MemoryBudget) throws -> Pickles {
        var position = 0
        let magicOK = try TorchPickleLoader.plain(bytes, start: position, options: options, context: context,
                                                  end: &position, memory: &memory) { value in
            if case .bigInt(let raw) = value { return raw == Array(magicLong1.dropFirst(2)) }
            return false
        }
        guard magicOK else {
            throw context.error(.unknownFormat, at: 0, "the first pickle is not torch's legacy magic number")
        }
        let versionAt = position
        let version = try TorchPickleLoader.plain(bytes, start: position, options: options, context: context,
                                                  end: &position, memory: &memory) { value -> Int64? in
            if case .int(let v) = value { return v }
            return nil
        }
        guard version == protocolVersion else {
            throw context.error(.torchMalformed, at: versionAt,
                                "legacy protocol version \(version.map(String.init) ?? "missing") "
                                    + "is not \(protocolVersion)")
        }
        let sysInfoAt = position
        let littleEndian = try TorchPickleLoader.plain(bytes, start: position, options: options, context: context,
                                                       end: &position, memory: &memory) { value -> Bool? in
            guard case .dict(let info) = value else { return nil }
            if case .bool(let little)? = info.value(forString: "little_endian") { return little }
            return true
        }
        guard let littleEndian else { throw context.error(.torchMalformed, at: sysInfoAt, "sys_info is not a dict") }

        let objectAt = position
        let storages = TorchPickleLoader.StorageList()
        let found = try TorchPickleLoader.stateDict(bytes, start: position, options: options,
                                                    context: context.inside("object pickle at byte \(objectAt)"),
                                                    end: &position, memory: &memory, storages: storages)
        let keysAt = position
        let keys = try TorchPickleLoader.plain(bytes, start: position, options: options, context: context,
                                               end: &position, memory: &memory) { value -> [String]? in
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
        return Pickles(found: found, storages: storages.byKey, keys: keys, littleEndian: littleEndian, end: position)
    }

    /// Walks the raw storages in key order (an element count, then the bytes) without reading their bytes.
    private static func checkpoint(_ pickles: Pickles, source: CheckpointByteSource, options: CheckpointReadOptions,
                                   context: CheckpointContext) throws -> Checkpoint {
        let order: StorageByteOrder = pickles.littleEndian ? .little : .big
        let size = source.size
        var position = UInt64(pickles.end)
        var ranges: [String: FileRangeStorage] = [:]
        for key in pickles.keys {
            guard size - position >= 8 else {
                throw context.error(.truncated, at: position, "the element count of storage '\(key)' is missing")
            }
            let raw = littleEndianUInt64(try source.read(at: position, count: 8, "storage element count", context))
            let count = Int64(bitPattern: order == .little ? raw : raw.byteSwapped)
            let countAt = position
            position += 8
            // The element size comes from the persistent id that named this storage in the object pickle.
            guard let storage = pickles.storages[key] else {
                throw context.error(.torchMalformed, at: countAt,
                                    "storage '\(key)' is not named by the object pickle, "
                                        + "so its element size is unknown")
            }
            guard count == Int64(storage.elementCount) else {
                throw context.error(.torchMalformed, at: countAt,
                                    "storage '\(key)' holds \(count) elements but its persistent id says "
                                        + "\(storage.elementCount)")
            }
            let length = UInt64(storage.elementCount) * UInt64(storage.dtype.byteCount)  // both capped: no overflow
            guard size - position >= length else {
                throw context.error(.truncated, at: position,
                                    "storage '\(key)' needs \(length) bytes but \(size - position) remain")
            }
            ranges[key] = FileRangeStorage(source: source, offset: position, length: Int(length), context: context)
            position += length
        }
        guard position == size else {
            throw context.error(.torchMalformed, at: position, "\(size - position) bytes follow the last storage")
        }
        return try TorchTensorViews.checkpoint(pickles.found, format: .torchLegacy, byteOrder: order,
                                               limits: options.limits, context: context) { storage in
            guard let range = ranges[storage.key] else {
                throw context.error(.missingEntry(storage.key), at: nil,
                                    "the pickle refers to storage '\(storage.key)' but the key list does not name it")
            }
            return (range, "storage '\(storage.key)'")
        }
    }
}
