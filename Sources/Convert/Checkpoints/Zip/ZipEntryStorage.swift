/// A storage kept in a ZIP entry (a torch `data/<key>` record, the data of an `.npz` member after its header),
/// read on demand. The entry was checked (size and CRC-32) when the checkpoint was read.
struct ZipEntryStorage: StorageBytes {
    let archive: ZipArchive
    let entry: ZipEntry
    /// Where the storage starts in the entry's uncompressed data.
    let start: Int

    func bytes(_ range: Range<Int>) throws -> [UInt8] {
        try archive.bytes(of: entry, in: (start + range.lowerBound)..<(start + range.upperBound))
    }
}
