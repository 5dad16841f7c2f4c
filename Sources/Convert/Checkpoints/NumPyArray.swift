import KRUFormat

/// One NumPy array: read from a `.npy` file (the strict, non-evaluating reader) or written to one, for
/// example the output of `kru run`.
///
/// ```swift
/// try NumPyArray(shape: [2, 3], values: .float(logits)).write(toPath: "logits.npy")
/// let back = try NumPyArray.read(path: "logits.npy")         // dtype float32, shape [2, 3]
/// ```
public struct NumPyArray: Sendable, Equatable {
    /// The element type (in the file: `<f4`, `<f8`, `<i8`, ...).
    public var dtype: CheckpointDType
    /// The size of each dimension; empty for a scalar.
    public var shape: [Int]
    /// The elements in row-major order.
    public var values: CheckpointValues

    /// An array of `values` in row-major order. Without `dtype`, `.float` values are written as float32,
    /// `.double` as float64 and `.integer` as int64.
    public init(shape: [Int], values: CheckpointValues, dtype: CheckpointDType? = nil) {
        self.shape = shape
        self.values = values
        switch values {
        case .float: self.dtype = dtype ?? .float32
        case .double: self.dtype = dtype ?? .float64
        case .integer: self.dtype = dtype ?? .int64
        }
    }

    /// Reads a `.npy` file (versions 1.0–3.0; little- or big-endian numbers; C or Fortran order).
    public static func read(path: String, limits: CheckpointLimits = .standard) throws -> NumPyArray {
        let source = try openCheckpointFile(path)
        return try NumPyDecoding.decode(source, length: source.size, context: CheckpointContext(file: path),
                                        limits: limits)
    }

    /// Decodes the bytes of a `.npy` file; `name` labels errors.
    public static func decode(_ bytes: [UInt8], name: String = "<memory>",
                              limits: CheckpointLimits = .standard) throws -> NumPyArray {
        try NumPyDecoding.decode(InMemoryByteSource(bytes), length: UInt64(bytes.count),
                                 context: CheckpointContext(file: name), limits: limits)
    }

    /// The bytes of a `.npy` version 1.0 file: little-endian, C order, header padded so the data starts at a
    /// multiple of 64 bytes. Throws if the values do not fit the shape or the dtype.
    public func encoded() throws -> [UInt8] {
        try NumPyEncoding.encode(self)
    }

    /// Writes a `.npy` file atomically (a temporary file beside `path`, flushed, then renamed over it), so an
    /// interrupted write never leaves a partial array.
    public func write(toPath path: String) throws {
        let bytes = try NumPyEncoding.encode(self, file: path)
        do {
            try AtomicFile.write(bytes, toPath: path)
        } catch let error as KRUFormatError {
            throw CheckpointError(.io, file: path, location: "", error.message)
        }
    }
}
