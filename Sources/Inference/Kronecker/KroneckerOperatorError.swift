/// Why a Kronecker operator, its shape or a workspace could not be built.
///
/// Thrown at construction only, before anything is allocated, so a malformed model file fails with a
/// sentence that names the factor and the numbers involved instead of crashing in a kernel.
public enum KroneckerOperatorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The factor list is empty; an operator needs at least one factor.
    case noFactors
    /// A shape was given `rowCounts` row sizes but `columnCounts` column sizes.
    case mismatchedSizeLists(rowCounts: Int, columnCounts: Int)
    /// More factors than ``KroneckerLimits/maxFactorCount``.
    case tooManyFactors(count: Int, limit: Int)
    /// Factor `factor` (0-based) has a non-positive row or column count.
    case invalidFactorShape(factor: Int, rows: Int, columns: Int)
    /// A factor dimension, the product of all rows (output length), the product of all columns (input
    /// length) or an intermediate vector length exceeds ``KroneckerLimits/maxVectorLength``.
    case vectorTooLong(what: String, limit: Int)
    /// Factor `factor` supplies `actual` values in `plane` ("values", "real" or "imaginary") where its
    /// shape needs `expected` (rows × columns, row-major).
    case factorValueCount(factor: Int, plane: String, expected: Int, actual: Int)
    /// A workspace was requested for a batch size below 1.
    case invalidBatchSize(Int)
    /// A workspace of `batchSize × elementsPerVector` floats per plane would exceed
    /// ``KroneckerLimits/maxWorkspaceElements``.
    case workspaceTooLarge(batchSize: Int, elementsPerVector: Int, limit: Int)

    public var description: String {
        switch self {
        case .noFactors:
            return "a Kronecker operator needs at least one factor"
        case let .mismatchedSizeLists(rowCounts, columnCounts):
            return "a Kronecker shape needs one column count per row count; got \(rowCounts) and \(columnCounts)"
        case let .tooManyFactors(count, limit):
            return "\(count) Kronecker factors given; at most \(limit) are supported"
        case let .invalidFactorShape(factor, rows, columns):
            return "factor \(factor) has shape \(rows)×\(columns); rows and columns must both be at least 1"
        case let .vectorTooLong(what, limit):
            return "\(what) exceeds the limit of \(limit) elements"
        case let .factorValueCount(factor, plane, expected, actual):
            return "factor \(factor) has \(actual) \(plane) entries; its shape needs \(expected) (row-major)"
        case let .invalidBatchSize(size):
            return "batch size \(size) is invalid; it must be at least 1"
        case let .workspaceTooLarge(batchSize, elementsPerVector, limit):
            return "a workspace of \(batchSize) × \(elementsPerVector) floats per plane exceeds the limit of \(limit)"
        }
    }
}

/// Caps checked before any allocation. They are far above any KRU model (N ≤ 4096 in practice) and exist
/// so that a corrupt or hostile size cannot overflow `Int` arithmetic or request gigabytes.
public enum KroneckerLimits {
    /// Most factors an operator may have (2×2 factors of a 4096-state model need 12).
    public static let maxFactorCount = 64
    /// Longest input, output or intermediate vector, and largest single factor dimension (2²⁶).
    public static let maxVectorLength = 1 << 26
    /// Most `Float` elements in one workspace plane (2²⁸, i.e. 1 GiB per plane).
    public static let maxWorkspaceElements = 1 << 28
}
