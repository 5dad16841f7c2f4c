/// The 32-byte fixed header (spec/FORMAT.md §2.1), checked in the order of §6.
struct FixedHeader {
    let version: KRUVersion
    let directoryLength: UInt32
    let fileLength: UInt64
    let directoryCRC32: UInt32

    init(_ source: any KRUByteSource) throws {
        let size = source.size
        let magic = KRUFormatLimits.magic
        let head = try source.read(at: 0, count: Int(min(size, UInt64(magic.count))))
        guard head == Array(magic.prefix(head.count)) else {
            let textDamage = head.count >= 4 && Array(head.prefix(4)) == Array(magic.prefix(4))
            throw KRUFormatError(.badMagic, at: 0, textDamage
                ? "the magic's line-ending bytes are altered: text-mode damage (the file was transferred as text)"
                : "not a .kru file (the first bytes are \(head.map { hex($0) }.joined(separator: " ")))")
        }
        guard size >= UInt64(KRUFormatLimits.fixedHeaderSize) else {
            throw KRUFormatError(.truncated, at: size, "the file is \(size) bytes, shorter than the 32-byte header")
        }
        var cursor = ByteCursor(try source.read(at: 0, count: KRUFormatLimits.fixedHeaderSize), fileOffset: 0)
        try cursor.skip(magic.count, "magic")
        let major = try cursor.u16("major")
        let minor = try cursor.u16("minor")
        guard major == KRUFormatLimits.majorVersion else {
            throw KRUFormatError(.unsupportedVersion, at: 8,
                                 "file is v\(major).\(minor), this build reads v\(KRUFormatLimits.majorVersion).x")
        }
        directoryLength = try cursor.u32("directory_length")
        fileLength = try cursor.u64("file_length")
        directoryCRC32 = try cursor.u32("directory_crc32")
        let reserved = try cursor.u32("reserved")
        guard minor > 0 || reserved == 0 else {
            throw KRUFormatError(.reservedNonzero, at: 28, "the header's reserved field is \(reserved) in a v1.0 file")
        }
        if size < fileLength {
            throw KRUFormatError(.truncated, at: size,
                                 "the file is \(size) bytes but its header says \(fileLength): truncated")
        }
        if size > fileLength {
            throw KRUFormatError(.trailingData, at: fileLength,
                                 "the file is \(size) bytes but its header says \(fileLength): "
                                     + "\(size - fileLength) bytes of trailing data")
        }
        guard directoryLength <= KRUFormatLimits.maxDirectoryLength,
              UInt64(KRUFormatLimits.fixedHeaderSize) + UInt64(directoryLength) <= fileLength else {
            throw KRUFormatError(.directoryTooLarge, at: 12,
                                 "directory_length \(directoryLength) is over the 16 MiB limit "
                                     + "or past the end of the file")
        }
        version = KRUVersion(major: major, minor: minor)
    }
}

/// Spec/FORMAT.md §2.4: each payload sits at the next 64-byte boundary, padding is zero, the file ends with the
/// last payload.
enum PayloadPlacement {
    static func check(_ tensors: [KRUTensorInfo], directoryLength: UInt32, fileLength: UInt64,
                      source: any KRUByteSource) throws {
        var end = UInt64(KRUFormatLimits.fixedHeaderSize) + UInt64(directoryLength)
        for info in tensors {
            let expected = KRUFormatLimits.align(end)
            guard info.offset == expected else {
                throw KRUFormatError(.badOffset, at: info.offsetFieldPosition,
                                     "tensor \"\(info.name)\" starts at \(info.offset); "
                                         + "the layout puts it at \(expected)")
            }
            guard info.storedLength <= fileLength, info.offset <= fileLength - info.storedLength else {
                throw KRUFormatError(.badOffset, at: info.offsetFieldPosition,
                                     "tensor \"\(info.name)\" (\(info.storedLength) bytes at \(info.offset)) "
                                         + "reaches past the end of the file")
            }
            // Padding is under 64 bytes, always in bounds here because the payload after it is.
            let padding = try source.read(at: end, count: Int(expected - end))
            if let bad = padding.firstIndex(where: { $0 != 0 }) {
                throw KRUFormatError(.badPadding, at: end + UInt64(bad),
                                     "padding byte before tensor \"\(info.name)\" is not zero")
            }
            end = info.offset + info.storedLength
        }
        guard end == fileLength else {
            throw KRUFormatError(.trailingData, at: end, "\(fileLength - end) bytes follow the last payload")
        }
    }
}

/// `bytes` with the header's directory CRC recomputed from the directory as it stands (unchanged when the
/// header is too damaged to locate the directory). The mutation tests and the fuzzer use it so that damage
/// inside the directory reaches the parser instead of stopping at `directory_checksum`.
func directoryCRCRepaired(_ bytes: [UInt8]) -> [UInt8] {
    guard bytes.count >= KRUFormatLimits.fixedHeaderSize else { return bytes }
    let length = Int(littleEndian(bytes[12..<16]))
    guard length <= bytes.count - KRUFormatLimits.fixedHeaderSize else { return bytes }
    var repaired = bytes
    let crc = CRC32.checksum(Array(bytes[32..<32 + length]))
    for i in 0..<4 { repaired[24 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    return repaired
}
