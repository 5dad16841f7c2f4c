/// Fixed facts and limits of format v1 (spec/FORMAT.md §2.1, §2.3). Readers check each before allocating.
public enum KRUFormatLimits {
    /// `\x89KRU\r\n\x1a\n`: the PNG design, so text-mode transfers and 7-bit channels visibly damage it.
    public static let magic: [UInt8] = [0x89, 0x4B, 0x52, 0x55, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The major version this build reads and writes; any minor of it is readable.
    public static let majorVersion: UInt16 = 1
    /// The minor version this build writes (the lowest that expresses everything it can write).
    public static let minorVersion: UInt16 = 0
    public static let fixedHeaderSize = 32
    public static let payloadAlignment: UInt64 = 64
    public static let maxDirectoryLength: UInt32 = 16 << 20
    public static let maxEntries: UInt32 = 65_535
    public static let maxNameLength = 255
    public static let maxStringLength: UInt32 = 1 << 20
    public static let maxArrayCount: UInt32 = 1 << 20
    public static let maxRank = 8
    public static let maxElementCount: UInt64 = 1 << 40
    /// DEFLATE cannot expand more than this (258 bytes from about 2 bits); a larger claim is a zip bomb.
    public static let maxZlibExpansion: UInt64 = 1032

    static func align(_ value: UInt64) -> UInt64 {
        (value + payloadAlignment - 1) / payloadAlignment * payloadAlignment
    }
}
