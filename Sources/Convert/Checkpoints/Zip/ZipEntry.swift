/// One file in a ZIP archive as its central-directory record describes it, with ZIP64 sizes resolved.
struct ZipEntry {
    static let centralSignature: UInt32 = 0x0201_4b50
    static let localSignature: UInt32 = 0x0403_4b50
    static let centralFixedSize = 46
    static let localFixedSize = 30

    let name: String
    let nameBytes: [UInt8]
    let flags: UInt16
    let method: UInt16
    let crc32: UInt32
    let compressedSize: UInt64
    let uncompressedSize: UInt64
    let localHeaderOffset: UInt64
    /// Where this entry's bytes must end: the next entry's local header, or the central directory.
    var boundary: UInt64 = 0

    /// General-purpose flag bit 0 (traditional encryption), bit 6 (strong encryption), bit 13 (masked directory).
    var isEncrypted: Bool { flags & 0x2041 != 0 }
    /// Flag bit 3: sizes and CRC follow the data in a descriptor, so the local header may hold zeros.
    var hasDataDescriptor: Bool { flags & 0x0008 != 0 }

    /// Parses one central-directory record at the reader's position.
    static func parseCentral(_ r: inout CheckpointByteReader, limits: CheckpointLimits) throws -> ZipEntry {
        let start = r.offset
        guard try r.u32("central header signature") == centralSignature else {
            throw r.context.error(.zipMalformed, at: start, "expected a central directory record (PK\\1\\2)")
        }
        _ = try r.u16("version made by")
        _ = try r.u16("version needed")
        let flags = try r.u16("flags")
        let method = try r.u16("compression method")
        _ = try r.u32("modification time and date")
        let crc = try r.u32("CRC-32")
        let compressed32 = try r.u32("compressed size")
        let uncompressed32 = try r.u32("uncompressed size")
        let nameLength = Int(try r.u16("name length"))
        let extraLength = Int(try r.u16("extra field length"))
        let commentLength = Int(try r.u16("comment length"))
        let disk16 = try r.u16("disk number start")
        _ = try r.u16("internal attributes")
        _ = try r.u32("external attributes")
        let offset32 = try r.u32("local header offset")

        guard nameLength <= limits.maxEntryNameBytes else {
            throw r.context.limit(.zipEntryNameBytes, at: start,
                                  "an entry name of \(nameLength) bytes exceeds the limit of "
                                      + "\(limits.maxEntryNameBytes)")
        }
        let nameBytes = Array(try r.take(nameLength, "entry name"))
        guard let name = strictUTF8String(nameBytes) else {
            throw r.context.error(.zipMalformed, at: start + 46, "an entry name is not valid UTF-8")
        }
        let extra = Array(try r.take(extraLength, "extra field of '\(name)'"))
        try r.skip(commentLength, "comment of '\(name)'")

        // ZIP64: each 32-bit field that holds 0xFFFFFFFF (0xFFFF for the disk) is replaced, in this order,
        // by a 64-bit value in the 0x0001 extra field.
        var uncompressed = UInt64(uncompressed32), compressed = UInt64(compressed32), offset = UInt64(offset32)
        var disk = UInt32(disk16)
        let needsZip64 = uncompressed32 == .max || compressed32 == .max || offset32 == .max || disk16 == .max
        if needsZip64 {
            guard let field = try zip64Field(in: extra, context: r.context, at: start) else {
                throw r.context.error(.zipMalformed, at: start, "'\(name)' needs a ZIP64 extra field but has none")
            }
            var z = CheckpointByteReader(field, base: start, context: r.context)
            if uncompressed32 == .max { uncompressed = try z.u64("ZIP64 uncompressed size of '\(name)'") }
            if compressed32 == .max { compressed = try z.u64("ZIP64 compressed size of '\(name)'") }
            if offset32 == .max { offset = try z.u64("ZIP64 local header offset of '\(name)'") }
            if disk16 == .max { disk = try z.u32("ZIP64 disk of '\(name)'") }
        }
        guard disk == 0 else {
            throw r.context.error(.zipMultiDisk, at: start, "'\(name)' starts on disk \(disk)")
        }
        return ZipEntry(name: name, nameBytes: nameBytes, flags: flags, method: method, crc32: crc,
                        compressedSize: compressed, uncompressedSize: uncompressed, localHeaderOffset: offset)
    }

    /// The data of the ZIP64 extended-information extra field (tag 0x0001), if present; extra fields must
    /// tile their area exactly.
    static func zip64Field(in extra: [UInt8], context: CheckpointContext, at offset: UInt64) throws -> [UInt8]? {
        var x = CheckpointByteReader(extra, base: offset, context: context)
        var result: [UInt8]? = nil
        while !x.isAtEnd {
            let tag = try x.u16("extra field tag")
            let size = Int(try x.u16("extra field size"))
            let data = Array(try x.take(size, "extra field data"))
            if tag == 0x0001 {
                guard result == nil else { throw context.error(.zipMalformed, at: offset, "two ZIP64 extra fields") }
                result = data
            }
        }
        return result
    }
}
