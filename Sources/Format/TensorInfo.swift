/// One tensor directory entry: everything about a tensor except its bytes (spec/FORMAT.md §2.2).
public struct KRUTensorInfo: Equatable, Sendable {
    public let name: String
    public let dtype: KRUDType
    /// Row-major shape; empty for a scalar.
    public let shape: [Int]
    public let compression: KRUCompression
    /// Absolute file offset of the stored bytes.
    public let offset: UInt64
    public let storedLength: UInt64
    public let rawLength: UInt64
    /// CRC-32 of the raw bytes.
    public let crc32: UInt32
    /// Where this entry's `offset` field is in the file, so placement faults can point at it.
    let offsetFieldPosition: UInt64

    /// The number of elements (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
}
