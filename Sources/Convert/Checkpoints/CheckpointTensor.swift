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

/// One named tensor of a checkpoint, already copied out of the file: strides and storage offsets have been
/// applied, so ``values`` is dense and row-major.
public struct CheckpointTensor: Sendable, Equatable {
    /// The tensor's name after prefix stripping (for example `rnn.weight_hh_l0`).
    public let name: String
    /// The element type in the file.
    public let dtype: CheckpointDType
    /// The size of each dimension, outermost first; empty for a scalar.
    public let shape: [Int]
    /// The elements in row-major order; `values.count` is the product of ``shape``.
    public let values: CheckpointValues

    public init(name: String, dtype: CheckpointDType, shape: [Int], values: CheckpointValues) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }

    /// The number of elements (the product of ``shape``; 1 for a scalar).
    public var elementCount: Int { values.count }
    /// The elements as `Double` (see ``CheckpointValues/doubles``).
    public var doubles: [Double] { values.doubles }
    /// The elements as `Float` (see ``CheckpointValues/floats``).
    public var floats: [Float] { values.floats }
}
