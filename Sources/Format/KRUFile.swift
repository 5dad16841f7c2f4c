/// The version of a `.kru` file.
public struct KRUVersion: Equatable, Sendable, CustomStringConvertible {
    public let major: UInt16
    public let minor: UInt16
    public var description: String { "\(major).\(minor)" }
}

/// An open `.kru` file: header, metadata and tensor directory checked and in memory, tensor bytes read on demand.
///
/// Opening validates everything except the tensor payloads (spec/FORMAT.md §2); ``tensor(named:)`` then reads,
/// inflates and checksums one tensor. ``verifyAllTensors()`` does the full check. A `KRUFile` is immutable and may
/// be shared across threads.
///
/// ```swift
/// let file = try KRUFile(path: "model.kru")
/// print(file.version, file.metadata.count)
/// let weights = try file.tensor(named: "layer0.w_hh").floats()
/// ```
public final class KRUFile: Sendable {
    /// Options that lower the reader's own limits below the format's.
    public struct Options: Sendable {
        /// The largest raw size of one tensor this reader will allocate (default 4 GiB).
        public var maximumTensorBytes: UInt64 = 4 << 30
        public init() {}
    }

    public let version: KRUVersion
    public let metadata: [KRUMetadataEntry]
    public let tensors: [KRUTensorInfo]
    public let source: any KRUByteSource
    private let tensorIndex: [String: Int]

    /// Opens and validates the file at `path`.
    public convenience init(path: String, options: Options = Options()) throws {
        try self.init(source: FileByteSource(path: path), options: options)
    }

    /// Opens and validates a file held in memory.
    public convenience init(bytes: [UInt8], options: Options = Options()) throws {
        try self.init(source: InMemoryByteSource(bytes), options: options)
    }

    /// Opens and validates the file behind `source`.
    public init(source: any KRUByteSource, options: Options = Options()) throws {
        let header = try FixedHeader(source)
        let directoryBytes = try source.read(at: UInt64(KRUFormatLimits.fixedHeaderSize),
                                             count: Int(header.directoryLength))
        guard CRC32.checksum(directoryBytes) == header.directoryCRC32 else {
            throw KRUFormatError(.directoryChecksum, at: 24,
                                 "the directory's CRC-32 does not match (header or directory damaged)")
        }
        let directory = try Directory(bytes: directoryBytes, minor: header.version.minor,
                                      maximumTensorBytes: options.maximumTensorBytes)
        try PayloadPlacement.check(directory.tensors, directoryLength: header.directoryLength,
                                   fileLength: header.fileLength, source: source)
        self.version = header.version
        self.metadata = directory.metadata
        self.tensors = directory.tensors
        self.source = source
        self.tensorIndex = Dictionary(uniqueKeysWithValues: directory.tensors.enumerated().map { ($1.name, $0) })
    }

    /// The value of metadata `key`, if present.
    public func metadata(_ key: String) -> KRUMetadataValue? {
        metadata.first { $0.key == key }?.value
    }

    /// The directory entry of tensor `name`, if present.
    public func tensorInfo(named name: String) -> KRUTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// Reads, inflates and checks tensor `name`. Throws if it is missing or damaged.
    public func tensor(named name: String) throws -> KRUTensor {
        guard let info = tensorInfo(named: name) else {
            throw KRULookupError.missingTensor(name)
        }
        return try tensor(info)
    }

    /// Reads, inflates and checks the tensor described by `info` (an entry of ``tensors``). The inflate buffer
    /// grows with the bytes really produced, so a damaged stream that declares gigabytes fails cheaply.
    public func tensor(_ info: KRUTensorInfo) throws -> KRUTensor {
        let raw: [UInt8]
        switch info.compression {
        case .none:
            raw = try source.read(at: info.offset, count: Int(info.storedLength))
        case .zlib:
            raw = try inflating(info) {
                try BoundedInflate.inflate(source, offset: info.offset, count: Int(info.storedLength),
                                           expectedCount: Int(info.rawLength), framing: .zlib)
            }
        }
        try checkCRC(CRC32.checksum(raw), info)
        return KRUTensor(name: info.name, dtype: info.dtype, shape: info.shape, bytes: raw)
    }

    /// Checks one tensor's compression and checksum without keeping its bytes: memory stays constant however
    /// large the tensor is.
    public func verify(_ info: KRUTensorInfo) throws {
        var crc: UInt32 = 0
        switch info.compression {
        case .none:
            var done: UInt64 = 0
            while done < info.storedLength {
                let n = Int(min(info.storedLength - done, 1 << 20))
                let piece = try source.read(at: info.offset + done, count: n)
                crc = piece.withUnsafeBytes { CRC32.checksum($0, continuing: crc) }
                done += UInt64(n)
            }
        case .zlib:
            try inflating(info) {
                try BoundedInflate.stream(source, offset: info.offset, count: Int(info.storedLength),
                                          expectedCount: Int(info.rawLength), framing: .zlib) { piece in
                    crc = CRC32.checksum(piece, continuing: crc)
                }
            }
        }
        try checkCRC(crc, info)
    }

    /// Checks every tensor once (compression and checksums): the spec's "full check", in constant memory.
    public func verifyAllTensors() throws {
        for info in tensors { try verify(info) }
    }

    /// Runs `body`, turning an inflate failure into `bad_zlib` at the tensor's payload.
    private func inflating<T>(_ info: KRUTensorInfo, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as BoundedInflate.Failure {
            throw KRUFormatError(.badZlib, at: info.offset, "tensor \"\(info.name)\": \(failure.reason)")
        }
    }

    private func checkCRC(_ crc: UInt32, _ info: KRUTensorInfo) throws {
        guard crc == info.crc32 else {
            throw KRUFormatError(.tensorChecksum, at: info.offset,
                                 "tensor \"\(info.name)\": CRC-32 of the data is \(hex(crc)), "
                                     + "the directory says \(hex(info.crc32))")
        }
    }
}

/// Asking a valid file for something it does not hold.
public enum KRULookupError: Error, CustomStringConvertible, Equatable {
    case missingTensor(String)

    public var description: String {
        switch self {
        case .missingTensor(let name): "the file has no tensor named \"\(name)\""
        }
    }
}
