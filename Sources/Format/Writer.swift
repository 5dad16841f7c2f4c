/// Writes `.kru` files: deterministic (the same content gives the same bytes with the same zlib) and atomic
/// (a temporary file in the target directory, flushed, then renamed over the target, so an interrupted write
/// leaves the old file untouched).
///
/// The writer refuses anything a reader would refuse (bad keys, duplicate names, limits), so it never produces
/// an unreadable file.
public struct KRUWriter: Sendable {
    /// When to store a tensor zlib-compressed.
    public enum CompressionPolicy: Sendable {
        /// zlib level 9 when it saves at least 1/16 of the bytes (spec/FORMAT.md §4). Tensors of 2 GiB or more are
        /// never compressed.
        case automatic
        case never
        case always
    }

    public var metadata: [KRUMetadataEntry]
    public var tensors: [KRUTensor]
    public var compression: CompressionPolicy

    public init(metadata: [KRUMetadataEntry] = [], tensors: [KRUTensor] = [],
                compression: CompressionPolicy = .automatic) {
        self.metadata = metadata
        self.tensors = tensors
        self.compression = compression
    }

    /// The complete file.
    public func encode() throws -> [UInt8] {
        try validate()
        let stored = tensors.map(storedForm)
        var directory = ByteBuffer()
        directory.u32(UInt32(metadata.count))
        for entry in metadata {
            directory.string(entry.key)
            MetadataValueEncoder.encode(entry.value, into: &directory)
        }
        directory.u32(UInt32(tensors.count))
        // Offsets depend on the directory's length, which does not depend on the offsets' values: lay out first.
        var offsetFields: [Int] = []
        for (tensor, (compression, payload)) in zip(tensors, stored) {
            directory.string(tensor.name)
            directory.u8(tensor.dtype.rawValue)
            directory.u8(compression.rawValue)
            directory.u8(UInt8(tensor.shape.count))
            directory.u8(0)
            tensor.shape.forEach { directory.u64(UInt64($0)) }
            offsetFields.append(directory.bytes.count)
            directory.u64(0)
            directory.u64(UInt64(payload.count))
            directory.u64(UInt64(tensor.bytes.count))
            directory.u32(CRC32.checksum(tensor.bytes))
            directory.u16(0)
        }
        var offsets: [UInt64] = []
        var end = UInt64(KRUFormatLimits.fixedHeaderSize + directory.bytes.count)
        for (_, payload) in stored {
            let offset = KRUFormatLimits.align(end)
            offsets.append(offset)
            end = offset + UInt64(payload.count)
        }
        var patched = directory.bytes
        for (field, offset) in zip(offsetFields, offsets) {
            for i in 0..<8 { patched[field + i] = UInt8(truncatingIfNeeded: offset >> (8 * UInt64(i))) }
        }
        guard patched.count <= Int(KRUFormatLimits.maxDirectoryLength) else {
            throw KRUWriterError("the directory would be \(patched.count) bytes, over the 16 MiB limit")
        }

        var file = ByteBuffer()
        file.raw(KRUFormatLimits.magic)
        file.u16(KRUFormatLimits.majorVersion)
        file.u16(KRUFormatLimits.minorVersion)
        file.u32(UInt32(patched.count))
        file.u64(end)
        file.u32(CRC32.checksum(patched))
        file.u32(0)
        file.raw(patched)
        var bytes = file.bytes
        bytes.reserveCapacity(Int(end))
        for ((_, payload), offset) in zip(stored, offsets) {
            bytes.append(contentsOf: repeatElement(0, count: Int(offset) - bytes.count))
            bytes.append(contentsOf: payload)
        }
        return bytes
    }

    /// Writes the file to `path` atomically.
    public func write(toPath path: String) throws {
        try AtomicFile.write(try encode(), toPath: path)
    }

    private func storedForm(_ tensor: KRUTensor) -> (KRUCompression, [UInt8]) {
        // zlib's one-call deflate takes 32-bit lengths; tensors of 2 GiB and more are stored as they are.
        guard tensor.bytes.count < 1 << 31 else { return (.none, tensor.bytes) }
        switch compression {
        case .never: return (.none, tensor.bytes)
        case .always: return (.zlib, Zlib.compress(tensor.bytes))
        case .automatic:
            let compressed = Zlib.compress(tensor.bytes)
            let raw = tensor.bytes.count
            return compressed.count <= raw - raw / 16 ? (.zlib, compressed) : (.none, tensor.bytes)
        }
    }

    private func validate() throws {
        guard metadata.count <= Int(KRUFormatLimits.maxEntries), tensors.count <= Int(KRUFormatLimits.maxEntries) else {
            throw KRUWriterError("more than \(KRUFormatLimits.maxEntries) metadata entries or tensors")
        }
        var keys = Set<String>()
        for entry in metadata {
            guard entry.key.utf8.count <= KRUFormatLimits.maxNameLength, isValidKey(entry.key) else {
                throw KRUWriterError("metadata key \(entry.key.debugDescription) is not of the form "
                                     + "namespace.name (a-z, 0-9, _)")
            }
            guard keys.insert(entry.key).inserted else {
                throw KRUWriterError("metadata key \"\(entry.key)\" occurs twice")
            }
            try validateValue(entry)
        }
        var names = Set<String>()
        for tensor in tensors {
            guard tensor.name.utf8.count <= KRUFormatLimits.maxNameLength, isValidTensorName(tensor.name) else {
                throw KRUWriterError("tensor name \(tensor.name.debugDescription) is not 1–255 characters of "
                                     + "A-Z a-z 0-9 _ . -")
            }
            guard names.insert(tensor.name).inserted else {
                throw KRUWriterError("tensor \"\(tensor.name)\" occurs twice")
            }
            guard tensor.shape.count <= KRUFormatLimits.maxRank,
                  UInt64(tensor.elementCount) <= KRUFormatLimits.maxElementCount else {
                throw KRUWriterError("tensor \"\(tensor.name)\" has shape \(tensor.shape), beyond the format's limits")
            }
        }
    }

    private func validateValue(_ entry: KRUMetadataEntry) throws {
        let maxString = Int(KRUFormatLimits.maxStringLength)
        let tooLong: Bool
        switch entry.value {
        case .string(let s): tooLong = s.utf8.count > maxString
        case .stringArray(let a):
            tooLong = a.count > Int(KRUFormatLimits.maxArrayCount) || a.contains { $0.utf8.count > maxString }
        case .boolArray(let a): tooLong = a.count > Int(KRUFormatLimits.maxArrayCount)
        case .intArray(let a): tooLong = a.count > Int(KRUFormatLimits.maxArrayCount)
        case .floatArray(let a): tooLong = a.count > Int(KRUFormatLimits.maxArrayCount)
        case .bool, .int, .float: tooLong = false
        }
        if tooLong { throw KRUWriterError("metadata \"\(entry.key)\" is over the format's string or array limits") }
    }
}

/// The writer was asked to write something the format cannot hold.
public struct KRUWriterError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
