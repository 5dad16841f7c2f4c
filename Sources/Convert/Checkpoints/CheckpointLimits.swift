/// The limits a reader enforces, named in ``CheckpointError/Kind/limitExceeded(_:)``.
public enum CheckpointLimit: String, Sendable, CaseIterable, Equatable {
    case zipEntries = "zip entries"
    case zipCentralDirectoryBytes = "zip central directory bytes"
    case zipEntryNameBytes = "zip entry name bytes"
    case blobBytes = "bytes read at once"
    case totalInflatedBytes = "total inflated bytes"
    case pickleBytes = "pickle bytes"
    case pickleStackItems = "pickle stack items"
    case pickleMarkDepth = "pickle mark depth"
    case pickleMemoEntries = "pickle memo entries"
    case pickleObjects = "pickle objects"
    case pickleStringBytes = "pickle string bytes"
    case memoryBudget = "memory budget"
    case pickleKeyBytes = "pickle dict key bytes hashed"
    case materializedElements = "materialised elements"
    case nestingDepth = "nesting depth"
    case metadataValues = "metadata values"
    case tensorCount = "tensor count"
    case tensorRank = "tensor rank"
    case tensorElements = "tensor elements"
    case totalTensorBytes = "total tensor bytes"
    case npyHeaderBytes = "npy header bytes"
    case safetensorsHeaderBytes = "safetensors header bytes"
}

/// Caps on every size a checkpoint reader trusts. Each is checked before the memory it guards is allocated.
/// The defaults admit any realistic recurrent-network checkpoint (and most language-model ones) while keeping
/// a hostile file to a bounded amount of work and memory: docs/MEMORY.md states the bound they give.
public struct CheckpointLimits: Sendable, Equatable {
    /// Most entries in one ZIP central directory.
    public var maxZipEntries: UInt64 = 1 << 20
    /// Largest ZIP central directory.
    public var maxCentralDirectoryBytes: UInt64 = 256 << 20
    /// Longest ZIP entry name (the format allows 65,535).
    public var maxEntryNameBytes: Int = 4096
    /// Largest single region read into memory: a ZIP entry (after inflation), a legacy file, one tensor's data.
    public var maxBlobBytes: UInt64 = 8 << 30
    /// Most bytes inflated from all DEFLATE entries of one archive together.
    public var maxTotalInflatedBytes: UInt64 = 16 << 30
    /// Largest pickle (`data.pkl`).
    public var maxPickleBytes: UInt64 = 256 << 20
    /// Most items on the pickle stack at once (Python's pickler batches containers by 1,000).
    public var maxPickleStackItems: Int = 1 << 20
    /// Deepest nesting of pickle MARKs (open tuples, lists, dicts being filled).
    public var maxPickleMarkDepth: Int = 1000
    /// Most memo entries.
    public var maxPickleMemoEntries: Int = 1 << 22
    /// Most containers and values a pickle may create (their memory is also charged to the file's memory
    /// budget, ``memoryBytesPerFileByte``).
    public var maxPickleObjects: Int = 1 << 24
    /// Longest string or byte string in a pickle, or a LONG4 integer.
    public var maxPickleStringBytes: Int = 64 << 20
    /// Bytes of dict keys a pickle may have hashed, per byte of the pickle (at least ``maxPickleStringBytes``): a
    /// key is hashed each time it is set, so re-setting one long memoised key millions of times would otherwise
    /// take hours from a small pickle.
    public var pickleKeyBytesPerPickleByte: UInt64 = 4
    /// Deepest nesting of containers walked when collecting tensors and metadata.
    public var maxNestingDepth: Int = 100
    /// Most metadata values kept (guards against "billion laughs" pickles that share one list many times).
    public var maxMetadataValues: Int = 100_000
    /// Most tensors in one checkpoint.
    public var maxTensorCount: Int = 1 << 20
    /// Highest tensor rank (NumPy allows 64).
    public var maxTensorRank: Int = 64
    /// Most elements in one tensor.
    public var maxTensorElements: UInt64 = 1 << 32
    /// Most bytes of decoded tensor values in one checkpoint.
    public var maxTotalTensorBytes: UInt64 = 32 << 30
    /// The memory every file may use for its structure (pickles and the objects they build, ZIP directories),
    /// whatever its size. See ``memoryBytesPerFileByte``.
    public var memoryFloorBytes: UInt64 = 24 << 20
    /// Structure memory allowed per byte of the file: a file of S bytes may use max(``memoryFloorBytes``,
    /// this × S). A DEFLATE-compressed `data.pkl` counts at its inflated size, so a small file cannot unpack
    /// a large pickle.
    public var memoryBytesPerFileByte: UInt64 = 16
    /// Elements any checkpoint may materialise, views included. See ``materializedElementsPerStoredElement``.
    public var materializedElementsFloor: UInt64 = 1 << 20
    /// Decoded elements allowed per element of the storages they come from: materialising tensors is allowed
    /// up to max(``materializedElementsFloor``, this × the elements of the storages read so far), so
    /// a stride-0 view (`expand`) or 2,000 names over one storage cannot turn a small file into gigabytes.
    public var materializedElementsPerStoredElement: UInt64 = 4
    /// Largest `.npy` header (NumPy's own reader stops at 10,000 by default).
    public var maxNpyHeaderBytes: Int = 1 << 16
    /// Largest safetensors JSON header (the reference implementation's `MAX_HEADER_SIZE`).
    public var maxSafetensorsHeaderBytes: UInt64 = 100_000_000

    public init() {}

    /// The structure-memory budget of a file of `fileSize` bytes.
    func memoryBudget(fileSize: UInt64) -> UInt64 {
        let (scaled, overflow) = fileSize.multipliedReportingOverflow(by: memoryBytesPerFileByte)
        return overflow ? .max : max(memoryFloorBytes, scaled)
    }

    /// The default limits.
    public static let standard = CheckpointLimits()
}
