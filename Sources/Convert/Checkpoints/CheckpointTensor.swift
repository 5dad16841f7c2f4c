/// The decoded elements of a tensor, in row-major order, in the narrowest Swift type that holds every value
/// exactly.
public enum CheckpointValues: Sendable, Equatable {
    /// float32, float16 and bfloat16 elements (every float16 and bfloat16 value is a float32 value).
    case float([Float])
    /// float64 elements.
    case double([Double])
    /// Integer and boolean elements (booleans are 0 or 1).
    case integer([Int64])

    /// The number of elements.
    public var count: Int {
        switch self {
        case .float(let v): v.count
        case .double(let v): v.count
        case .integer(let v): v.count
        }
    }

    /// Every element as a `Double`: exact for every floating-point type and for integers up to 2^53 in magnitude.
    public var doubles: [Double] {
        switch self {
        case .float(let v): v.map(Double.init)
        case .double(let v): v
        case .integer(let v): v.map(Double.init)
        }
    }

    /// Every element as a `Float`: exact for float32, float16 and bfloat16; float64 and large integers are rounded.
    public var floats: [Float] {
        switch self {
        case .float(let v): v
        case .double(let v): v.map(Float.init)
        case .integer(let v): v.map(Float.init)
        }
    }
}

/// One named tensor of a checkpoint: its name, type and shape, and where its elements are. Reading a checkpoint
/// validates every tensor and checks the data behind it, but decodes nothing: ``values()`` decodes one tensor when
/// it is asked for (applying strides and storage offsets, so the result is dense and row-major). A view stays a
/// view until then, and a storage shared by many tensors is stored once.
public struct CheckpointTensor: Sendable {
    /// The tensor's name after prefix stripping (for example `rnn.weight_hh_l0`).
    public let name: String
    /// The element type in the file.
    public let dtype: CheckpointDType
    /// The size of each dimension, outermost first; empty for a scalar.
    public let shape: [Int]
    let elements: TensorElements

    /// A tensor whose values are already decoded; `values.count` must be the product of `shape`.
    public init(name: String, dtype: CheckpointDType, shape: [Int], values: CheckpointValues) {
        precondition(values.count == shape.reduce(1, *), "tensor \(name): \(values.count) values for shape \(shape)")
        self.init(name: name, dtype: dtype, shape: shape, elements: .decoded(values))
    }

    init(name: String, dtype: CheckpointDType, shape: [Int], elements: TensorElements) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.elements = elements
    }

    /// The number of elements (the product of ``shape``; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// The storage the tensor views (`archive/data/0`, an `.npz` entry, a safetensors name), nil for values
    /// given in memory.
    public var storageName: String? { if case .stored(let view) = elements { view.storageName } else { nil } }

    /// How many elements that storage holds: fewer than ``elementCount`` for a broadcast view (stride 0).
    public var storageElementCount: Int? { if case .stored(let view) = elements { view.storageElements } else { nil } }

    /// Whether `other` reads exactly the same elements of the same storage — one weight under two names, as
    /// PyTorch saves a tied weight (`decoder.weight = encoder.weight`). Tensors given in memory share nothing.
    public func sharesElements(with other: CheckpointTensor) -> Bool {
        guard case .stored(let mine) = elements, case .stored(let theirs) = other.elements else { return false }
        return mine.storageName == theirs.storageName && mine.dtype == theirs.dtype && mine.layout == theirs.layout
    }

    /// The elements in row-major order, decoded now. Throws ``CheckpointError`` if the checkpoint's budget for
    /// decoded elements is exhausted (see ``CheckpointLimits/materializedElementsPerStoredElement``), or if the
    /// file cannot be read again.
    public func values() throws -> CheckpointValues {
        switch elements {
        case .decoded(let values): values
        case .stored(let view): try view.values(name: name)
        }
    }

    /// The elements as `Double` (see ``CheckpointValues/doubles``).
    public func doubles() throws -> [Double] { try values().doubles }
    /// The elements as `Float` (see ``CheckpointValues/floats``).
    public func floats() throws -> [Float] { try values().floats }
}

/// A tensor's elements: decoded already, or a validated view of a storage that is read when asked for.
enum TensorElements: Sendable {
    case decoded(CheckpointValues)
    case stored(StorageView)
}

/// Bytes of one storage (a torch storage, an array's data), read on demand from where the file keeps them.
/// The storage was checked when the checkpoint was read (bounds, sizes, CRC-32).
protocol StorageBytes: Sendable {
    /// Bytes `range` of the storage.
    func bytes(_ range: Range<Int>) throws -> [UInt8]
}

/// A validated strided view of a storage, decoded by ``values(name:)``.
struct StorageView: Sendable {
    let storage: any StorageBytes
    /// Identifies the storage in the checkpoint, so the budget counts it once.
    let storageName: String
    let storageElements: Int
    let dtype: CheckpointDType
    let byteOrder: StorageByteOrder
    let layout: StridedLayout
    let budget: MaterializationBudget
    let context: CheckpointContext

    func values(name: String) throws -> CheckpointValues {
        try budget.admit(elements: layout.elementCount, dtype: dtype, storage: storageName,
                         storageElements: storageElements, name: name, context: context)
        guard layout.elementCount > 0 else {
            return try ElementDecoding.decode([], dtype: dtype, byteOrder: byteOrder, layout: layout, context: context)
        }
        // Only the part of the storage the view reaches: from its first element to its last.
        let size = dtype.byteCount
        let bytes = try storage.bytes(layout.offset * size ..< layout.storageElementsNeeded * size)
        return try ElementDecoding.decode(bytes, dtype: dtype, byteOrder: byteOrder, layout: layout.rebased,
                                          context: context)
    }
}

/// A storage that lies uncompressed in the file (safetensors, `.npy`, legacy torch, STORED ZIP entries).
struct FileRangeStorage: StorageBytes {
    let source: CheckpointByteSource
    let offset: UInt64
    let length: Int
    let context: CheckpointContext

    func bytes(_ range: Range<Int>) throws -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= length, "a view reaches outside its storage")
        return try source.read(at: offset + UInt64(range.lowerBound), count: range.count, "tensor data", context)
    }
}
