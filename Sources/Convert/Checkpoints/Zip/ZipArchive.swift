import KRUFormat

/// A read-only ZIP archive (the container of `.pt`/`.pth`/`.ckpt` and `.npz` files). Opening parses and checks
/// the whole central directory; reading an entry checks its local header against it, inflates at most the
/// declared size (in pieces: memory grows only with the bytes really produced) and verifies the CRC-32.
/// Nothing is ever written to disk, so entry names are only labels.
struct ZipArchive: Sendable {
    let source: CheckpointByteSource
    let context: CheckpointContext
    let limits: CheckpointLimits
    /// Entries in central-directory order.
    let entries: [ZipEntry]
    private let indexByName: [String: Int]
    /// DEFLATE output so far, across every read of the archive, for ``CheckpointLimits/maxTotalInflatedBytes``.
    private let inflated = Locked<UInt64>(0)

    init(source: CheckpointByteSource, context: CheckpointContext, limits: CheckpointLimits) throws {
        self.source = source
        self.context = context
        self.limits = limits
        let end = try ZipEndRecord.locate(in: source, context: context, limits: limits)
        // Both values were capped by ZipEndRecord.check before this allocation.
        let directory = try source.read(at: end.directoryOffset, count: Int(end.directorySize), "central directory",
                                        context)
        var r = CheckpointByteReader(directory, base: end.directoryOffset, context: context)
        var entries: [ZipEntry] = []
        entries.reserveCapacity(Int(end.entryCount))
        var indexByName: [String: Int] = [:]
        for _ in 0..<end.entryCount {
            let at = r.offset
            let entry = try ZipEntry.parseCentral(&r, limits: limits)
            if entry.isEncrypted {
                throw context.error(.zipEncrypted, at: at, "entry \(quotedForMessage(entry.name)) is encrypted")
            }
            if indexByName[entry.name] != nil {
                throw context.error(.zipDuplicateEntry(entry.name), at: at,
                                    "two entries are named \(quotedForMessage(entry.name))")
            }
            indexByName[entry.name] = entries.count
            entries.append(entry)
        }
        guard r.isAtEnd else {
            throw context.error(.zipMalformed, at: r.offset,
                                "\(r.remaining) bytes follow the \(end.entryCount) central directory records")
        }
        // Local headers must be disjoint and precede the directory. Sorting by offset gives each entry the
        // place where its bytes must end; reading checks the real end against it.
        let order = entries.indices.sorted { entries[$0].localHeaderOffset < entries[$1].localHeaderOffset }
        for (k, i) in order.enumerated() {
            let next = k + 1 < order.count ? entries[order[k + 1]].localHeaderOffset : end.directoryOffset
            let minimumEnd = entries[i].localHeaderOffset.addingReportingOverflow(
                UInt64(ZipEntry.localFixedSize + entries[i].nameBytes.count))
            let dataEnd = minimumEnd.partialValue.addingReportingOverflow(entries[i].compressedSize)
            guard !minimumEnd.overflow, !dataEnd.overflow, dataEnd.partialValue <= next else {
                let kind: CheckpointError.Kind = next == end.directoryOffset ? .zipMalformed : .zipOverlappingEntries
                throw context.error(kind, at: entries[i].localHeaderOffset,
                                    "entry \(quotedForMessage(entries[i].name)) (\(entries[i].compressedSize) bytes at "
                                        + "\(entries[i].localHeaderOffset)) runs past "
                                        + "\(next == end.directoryOffset ? "the central directory" : "the next entry") "
                                        + "at \(next)")
            }
            entries[i].boundary = next
        }
        self.entries = entries
        self.indexByName = indexByName
    }

    func entry(named name: String) -> ZipEntry? { indexByName[name].map { entries[$0] } }

    /// The uncompressed bytes of `entry`, checked against its local header, declared size and CRC-32.
    func read(_ entry: ZipEntry) throws -> [UInt8] {
        var data: [UInt8] = []
        try stream(entry) { data.append(contentsOf: $0) }
        return data
    }

    /// Passes the uncompressed bytes of `entry` to `body` in pieces, checking its local header, its declared size
    /// (DEFLATE stops at the first byte past it) and its CRC-32 on the way; memory stays constant.
    func stream(_ entry: ZipEntry, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let where_ = context.inside("zip entry \(quotedForMessage(entry.name))")
        let dataStart = try checkedDataStart(entry, where_, countingInflatedBytes: true)
        var crc: UInt32 = 0
        try pieces(of: entry, at: dataStart, where_) { piece in
            crc = CRC32.checksum(piece, continuing: crc)
            try body(piece)
        }
        guard crc == entry.crc32 else {
            throw where_.error(.zipChecksumMismatch, at: dataStart,
                               "CRC-32 is \(String(crc, radix: 16)) but the directory records "
                                   + "\(String(entry.crc32, radix: 16))")
        }
    }

    /// Bytes `range` of the uncompressed data of `entry`, which ``stream(_:_:)`` has checked: a STORED entry is
    /// read in place, a DEFLATE one inflated only as far as the range ends. (Not counted again against
    /// ``CheckpointLimits/maxTotalInflatedBytes``: what is decoded is bounded by the decoding budget.)
    func bytes(of entry: ZipEntry, in range: Range<Int>) throws -> [UInt8] {
        let where_ = context.inside("zip entry \(quotedForMessage(entry.name))")
        let dataStart = try checkedDataStart(entry, where_, countingInflatedBytes: false)
        precondition(range.lowerBound >= 0 && UInt64(range.upperBound) <= entry.uncompressedSize,
                     "range outside the entry")
        if entry.method == 0 {
            return try source.read(at: dataStart + UInt64(range.lowerBound), count: range.count, "entry data", where_)
        }
        var kept: [UInt8] = []
        kept.reserveCapacity(range.count)  // inside the entry's size, which reading the checkpoint confirmed
        var position = 0
        do {
            try pieces(of: entry, at: dataStart, where_) { piece in
                let from = max(range.lowerBound - position, 0), to = min(range.upperBound - position, piece.count)
                if from < to { kept.append(contentsOf: piece[from..<to]) }
                position += piece.count
                if position >= range.upperBound { throw EnoughBytes() }
            }
        } catch is EnoughBytes {}
        return kept
    }

    /// Raised by a consumer that has what it needs, to stop inflating early.
    private struct EnoughBytes: Error {}

    /// The checks before any data is read: method, size limits, local header, bounds, and for DEFLATE the
    /// 1032:1 ratio and (when `countingInflatedBytes`) the archive-wide inflate cap. Returns where the data starts.
    private func checkedDataStart(_ entry: ZipEntry, _ where_: CheckpointContext,
                                  countingInflatedBytes: Bool) throws -> UInt64 {
        guard entry.method == 0 || entry.method == 8 else {
            throw where_.error(.zipUnsupportedMethod(entry.method), at: entry.localHeaderOffset,
                               "compression method \(entry.method) is not supported (only STORED and DEFLATE)")
        }
        guard entry.uncompressedSize <= limits.maxBlobBytes else {
            throw where_.limit(.blobBytes, at: entry.localHeaderOffset,
                               "the entry declares \(entry.uncompressedSize) bytes; "
                                   + "the limit is \(limits.maxBlobBytes)")
        }
        let dataStart = try checkLocalHeader(entry, context: where_)
        guard dataStart <= entry.boundary, entry.compressedSize <= entry.boundary - dataStart else {
            throw where_.error(.zipOverlappingEntries, at: dataStart,
                               "the entry's \(entry.compressedSize) bytes at \(dataStart) run past \(entry.boundary), "
                                   + "where the next record starts")
        }
        guard entry.method == 8 || entry.compressedSize == entry.uncompressedSize else {
            throw where_.error(.zipSizeMismatch, at: entry.localHeaderOffset,
                               "a STORED entry with \(entry.compressedSize) stored bytes "
                                   + "declares \(entry.uncompressedSize)")
        }
        if entry.method == 8 {
            // DEFLATE cannot expand more than 1032:1; a larger claim is a lie told to make us work.
            let (most, overflow) = entry.compressedSize.multipliedReportingOverflow(by: 1032)
            guard overflow || entry.uncompressedSize <= most + 64 else {
                throw where_.error(.zipSizeMismatch, at: entry.localHeaderOffset,
                                   "\(entry.compressedSize) DEFLATE bytes cannot inflate to the declared "
                                       + "\(entry.uncompressedSize)")
            }
            if countingInflatedBytes {
                try inflated.withLock { total in
                    let room = limits.maxTotalInflatedBytes - min(total, limits.maxTotalInflatedBytes)
                    guard entry.uncompressedSize <= room else {
                        throw where_.limit(.totalInflatedBytes, at: entry.localHeaderOffset,
                                           "inflating \(entry.uncompressedSize) more bytes after \(total) exceeds the "
                                               + "limit of \(limits.maxTotalInflatedBytes)")
                    }
                    total += entry.uncompressedSize
                }
            }
        }
        return dataStart
    }

    /// The entry's uncompressed bytes in pieces: read in place (STORED) or inflated (DEFLATE), with inflate
    /// failures and read errors turned into checkpoint errors.
    private func pieces(of entry: ZipEntry, at dataStart: UInt64, _ where_: CheckpointContext,
                        _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if entry.method == 0 {
            var done: UInt64 = 0
            while done < entry.compressedSize {
                let n = Int(min(entry.compressedSize - done, 1 << 20))
                try source.read(at: dataStart + done, count: n, "entry data", where_).withUnsafeBytes(body)
                done += UInt64(n)
            }
            return
        }
        do {
            try BoundedInflate.stream(source, offset: dataStart, count: Int(entry.compressedSize),
                                      expectedCount: Int(entry.uncompressedSize), framing: .raw, body)
        } catch let failure as BoundedInflate.Failure {
            switch failure {
            case .tooLong(let declared):
                throw where_.error(.zipSizeMismatch, at: dataStart,
                                   "the DEFLATE data inflates to more than the declared \(declared) bytes")
            case .tooShort(let produced, let declared):
                throw where_.error(.zipSizeMismatch, at: dataStart,
                                   "the DEFLATE data ends after \(produced) of the declared \(declared) bytes")
            case .trailing(let count):
                throw where_.error(.zipInflateFailed, at: dataStart,
                                   "\(count) bytes follow the end of the DEFLATE stream")
            case .invalid(let reason):
                throw where_.error(.zipInflateFailed, at: dataStart, "invalid DEFLATE data: \(reason)")
            case .presetDictionary:
                throw where_.error(.zipInflateFailed, at: dataStart, "the DEFLATE data asks for a preset dictionary")
            }
        } catch let error as KRUFormatError {
            throw where_.error(.io, at: dataStart, error.message)
        }
    }

    /// Reads the local header and returns where the entry's data starts. The name, method and encryption
    /// flag must match the central record; sizes and CRC too, unless a data descriptor carries them (then the
    /// local fields may be zero).
    private func checkLocalHeader(_ entry: ZipEntry, context: CheckpointContext) throws -> UInt64 {
        let at = entry.localHeaderOffset
        var r = CheckpointByteReader(try source.read(at: at, count: ZipEntry.localFixedSize, "local header", context),
                           base: at, context: context)
        guard try r.u32("local header signature") == ZipEntry.localSignature else {
            throw context.error(.zipMalformed, at: at,
                                "no local file header (PK\\3\\4) where the central directory points")
        }
        _ = try r.u16("version needed")
        let flags = try r.u16("flags")
        let method = try r.u16("compression method")
        _ = try r.u32("modification time and date")
        let crc = try r.u32("CRC-32")
        let compressed32 = try r.u32("compressed size")
        let uncompressed32 = try r.u32("uncompressed size")
        let nameLength = Int(try r.u16("name length"))
        let extraLength = Int(try r.u16("extra field length"))
        let variable = try source.read(at: at + UInt64(ZipEntry.localFixedSize), count: nameLength + extraLength,
                                       "local header name and extra field", context)
        guard Array(variable[0..<nameLength]) == entry.nameBytes else {
            throw context.error(.zipHeaderMismatch, at: at,
                                "the local header names "
                                    + "\(quotedForMessage(String(decoding: variable[0..<nameLength], as: UTF8.self)))")
        }
        guard method == entry.method, (flags ^ entry.flags) & 0x2049 == 0 else {
            throw context.error(.zipHeaderMismatch, at: at,
                                "local method \(method) / flags \(flags) differ from the central directory's "
                                    + "\(entry.method) / \(entry.flags)")
        }
        var compressed = UInt64(compressed32), uncompressed = UInt64(uncompressed32)
        if compressed32 == .max || uncompressed32 == .max {
            // A local ZIP64 field holds both sizes, uncompressed first (numpy writes one on every entry).
            let extra = Array(variable[nameLength...])
            guard let field = try ZipEntry.zip64Field(in: extra, context: context, at: at), field.count >= 16 else {
                throw context.error(.zipMalformed, at: at, "the local header needs a ZIP64 field with both sizes")
            }
            uncompressed = littleEndianUInt64(field[0..<8])
            compressed = littleEndianUInt64(field[8..<16])
        }
        let zeroes = crc == 0 && compressed == 0 && uncompressed == 0
        if !(flags & 0x0008 != 0 && zeroes) {
            guard crc == entry.crc32, compressed == entry.compressedSize, uncompressed == entry.uncompressedSize else {
                throw context.error(.zipHeaderMismatch, at: at,
                                    "local CRC/sizes \(String(crc, radix: 16))/\(compressed)/\(uncompressed) differ "
                                        + "from the central directory's \(String(entry.crc32, radix: 16))/"
                                        + "\(entry.compressedSize)/\(entry.uncompressedSize)")
            }
        }
        return at + UInt64(ZipEntry.localFixedSize + nameLength + extraLength)
    }
}
