/// Where a ZIP archive's central directory is, from the end-of-central-directory record (and its ZIP64
/// locator and record when present). Multi-disk archives are refused here.
struct ZipEndRecord {
    static let signature: UInt32 = 0x0605_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    static let zip64RecordSignature: UInt32 = 0x0606_4b50
    /// The fixed part of the end record; a comment of up to 65,535 bytes may follow it.
    static let fixedSize = 22
    static let maxCommentSize = 0xffff

    let entryCount: UInt64
    let directoryOffset: UInt64
    let directorySize: UInt64
    /// The first byte after the central directory: the ZIP64 record if there is one, else the end record.
    let directoryEnd: UInt64

    /// Finds the end record in the last 65,557 bytes (the bounded search the format allows) and checks that
    /// the central directory it points to lies inside the file, just before the end records.
    static func locate(in source: CheckpointByteSource, context: CheckpointContext,
                       limits: CheckpointLimits) throws -> ZipEndRecord {
        let size = source.size
        guard size >= UInt64(fixedSize) else {
            throw context.error(.zipEndRecordMissing, at: 0,
                                "a ZIP archive has at least \(fixedSize) bytes; this file has \(size)")
        }
        let tailCount = Int(min(size, UInt64(fixedSize + maxCommentSize)))
        let tailStart = size - UInt64(tailCount)
        let tail = try source.read(at: tailStart, count: tailCount, "the end of the archive", context)

        // The record whose comment runs exactly to the end of the file; searching backwards finds the last one.
        var found: Int? = nil
        var i = tailCount - fixedSize
        while i >= 0 {
            if tail[i] == 0x50, tail[i + 1] == 0x4b, tail[i + 2] == 0x05, tail[i + 3] == 0x06,
               Int(littleEndianUInt64(tail[(i + 20)..<(i + 22)])) == tailCount - i - fixedSize {
                found = i
                break
            }
            i -= 1
        }
        guard let at = found else {
            throw context.error(.zipEndRecordMissing, at: nil,
                                "no end-of-central-directory record in the last \(tailCount) bytes: "
                                    + "the archive is truncated or not a ZIP file")
        }
        let recordOffset = tailStart + UInt64(at)
        var r = CheckpointByteReader(Array(tail[at..<(at + fixedSize)]), base: recordOffset, context: context)
        _ = try r.u32("signature")
        let disk = try r.u16("disk number")
        let directoryDisk = try r.u16("central directory disk")
        let entriesHere = try r.u16("entries on this disk")
        let entries = try r.u16("total entries")
        let directorySize = try r.u32("central directory size")
        let directoryOffset = try r.u32("central directory offset")

        // A ZIP64 locator, if present, sits immediately before the end record.
        if recordOffset >= 20 {
            let locator = try source.read(at: recordOffset - 20, count: 20, "ZIP64 locator", context)
            if UInt32(littleEndianUInt64(locator[0..<4])) == zip64LocatorSignature {
                return try zip64(locatorOffset: recordOffset - 20, locator: locator, source: source,
                                 context: context, limits: limits)
            }
        }
        guard disk == 0, directoryDisk == 0, entriesHere == entries else {
            throw context.error(.zipMultiDisk, at: recordOffset,
                                "the archive spans several disks (disk \(disk), directory on disk \(directoryDisk), "
                                    + "\(entriesHere) of \(entries) entries here)")
        }
        let record = ZipEndRecord(entryCount: UInt64(entries), directoryOffset: UInt64(directoryOffset),
                                  directorySize: UInt64(directorySize), directoryEnd: recordOffset)
        try record.check(context: context, limits: limits, at: recordOffset)
        return record
    }

    private static func zip64(locatorOffset: UInt64, locator: [UInt8], source: CheckpointByteSource,
                              context: CheckpointContext, limits: CheckpointLimits) throws -> ZipEndRecord {
        var l = CheckpointByteReader(locator, base: locatorOffset, context: context)
        _ = try l.u32("signature")
        let recordDisk = try l.u32("ZIP64 record disk")
        let recordOffset = try l.u64("ZIP64 record offset")
        let disks = try l.u32("total disks")
        guard recordDisk == 0, disks <= 1 else {
            throw context.error(.zipMultiDisk, at: locatorOffset, "the ZIP64 locator names \(disks) disks")
        }
        // The fixed ZIP64 record is 56 bytes and must end before the locator.
        guard recordOffset <= locatorOffset, locatorOffset - recordOffset >= 56 else {
            throw context.error(.zipMalformed, at: locatorOffset,
                                "the ZIP64 end record offset \(recordOffset) does not leave room for the record "
                                    + "before the locator at \(locatorOffset)")
        }
        var r = CheckpointByteReader(try source.read(at: recordOffset, count: 56, "ZIP64 end record", context),
                           base: recordOffset, context: context)
        guard try r.u32("signature") == zip64RecordSignature else {
            throw context.error(.zipMalformed, at: recordOffset,
                                "no ZIP64 end-of-central-directory record where the locator points")
        }
        let recordSize = try r.u64("ZIP64 record size")
        guard recordSize >= 44, recordSize <= locatorOffset - recordOffset - 12 else {
            throw context.error(.zipMalformed, at: recordOffset + 4,
                                "ZIP64 end record size \(recordSize) does not fit between its start and the locator")
        }
        _ = try r.u16("version made by")
        _ = try r.u16("version needed")
        let disk = try r.u32("disk number")
        let directoryDisk = try r.u32("central directory disk")
        let entriesHere = try r.u64("entries on this disk")
        let entries = try r.u64("total entries")
        let directorySize = try r.u64("central directory size")
        let directoryOffset = try r.u64("central directory offset")
        guard disk == 0, directoryDisk == 0, entriesHere == entries else {
            throw context.error(.zipMultiDisk, at: recordOffset,
                                "the archive spans several disks (disk \(disk), directory on disk \(directoryDisk), "
                                    + "\(entriesHere) of \(entries) entries here)")
        }
        let record = ZipEndRecord(entryCount: entries, directoryOffset: directoryOffset,
                                  directorySize: directorySize, directoryEnd: recordOffset)
        try record.check(context: context, limits: limits, at: recordOffset)
        return record
    }

    /// Caps before anything is allocated: entry count, directory size, and the directory's place in the file.
    private func check(context: CheckpointContext, limits: CheckpointLimits, at offset: UInt64) throws {
        guard entryCount <= limits.maxZipEntries else {
            throw context.limit(.zipEntries, at: offset,
                                "the central directory claims \(entryCount) entries; "
                                    + "the limit is \(limits.maxZipEntries)")
        }
        guard directorySize <= limits.maxCentralDirectoryBytes else {
            throw context.limit(.zipCentralDirectoryBytes, at: offset,
                                "the central directory claims \(directorySize) bytes; "
                                    + "the limit is \(limits.maxCentralDirectoryBytes)")
        }
        // Each central record is at least 46 bytes, so the count must fit in the size.
        guard entryCount <= directorySize / 46 else {
            throw context.error(.zipMalformed, at: offset,
                                "\(entryCount) entries cannot fit in a central directory of \(directorySize) bytes")
        }
        guard directoryOffset <= directoryEnd, directorySize == directoryEnd - directoryOffset else {
            throw context.error(.zipMalformed, at: offset,
                                "the central directory (\(directorySize) bytes at \(directoryOffset)) does not end "
                                    + "where the end records start (\(directoryEnd))")
        }
    }
}
