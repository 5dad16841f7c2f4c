/// The element type of a tensor read from a checkpoint.
///
/// Floating-point types decode to ``CheckpointValues/float(_:)`` (float32, float16 and bfloat16, all exact)
/// or ``CheckpointValues/double(_:)`` (float64); integer and boolean types decode to
/// ``CheckpointValues/integer(_:)``.
public enum CheckpointDType: String, Sendable, CaseIterable, Equatable, Hashable {
    case float64, float32, float16, bfloat16
    case int64, int32, int16, int8
    case uint64, uint32, uint16, uint8
    case bool

    /// Bytes per element in the file.
    public var byteCount: Int {
        switch self {
        case .float64, .int64, .uint64: 8
        case .float32, .int32, .uint32: 4
        case .float16, .bfloat16, .int16, .uint16: 2
        case .int8, .uint8, .bool: 1
        }
    }

    /// True for the four floating-point types.
    public var isFloatingPoint: Bool {
        switch self {
        case .float64, .float32, .float16, .bfloat16: true
        default: false
        }
    }
}
