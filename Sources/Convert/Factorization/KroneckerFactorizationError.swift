/// Why `NearestKronecker.factorize` refused its
/// input or could not finish. Every case names the offending value so a CLI can print one clear line.
public enum KroneckerFactorizationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Rows or columns below 1.
    case invalidMatrixSize(rows: Int, columns: Int)
    /// The element array does not hold rows × columns values (× 2 for interleaved complex input).
    case elementCountMismatch(expected: Int, actual: Int)
    /// More entries than ``NearestKronecker/maxEntryCount`` (the algorithms keep two or three copies in memory).
    case matrixTooLarge(entries: Int, limit: Int)
    /// The shape list is empty.
    case noFactors
    /// A factor with P_f < 1 or Q_f < 1.
    case invalidFactorShape(factor: Int, rows: Int, columns: Int)
    /// ∏P_f ≠ rows or ∏Q_f ≠ columns.
    case shapeMismatch(rowProduct: Int, columnProduct: Int, rows: Int, columns: Int)
    /// r < 1, or more terms than the shapes can hold (F = 1: 1; F = 2: min(P_0Q_0, P_1Q_1); F > 2: the number
    /// of entries divided by the largest P_fQ_f).
    case invalidRank(rank: Int, maximum: Int)
    /// A NaN or infinite entry at (row, column).
    case nonFiniteEntry(row: Int, column: Int)
    /// An option outside its documented range.
    case invalidOption(name: String, reason: String)
    /// ``NearestKronecker/autoShapes(size:rule:)`` cannot apply its rule to this size.
    case invalidAutoShape(size: Int, reason: String)
    /// A LAPACK routine returned a nonzero `info`.
    case lapackFailure(routine: String, info: Int)

    public var description: String {
        switch self {
        case .invalidMatrixSize(let rows, let columns):
            return "invalid matrix size \(rows)x\(columns): both sizes must be at least 1"
        case .elementCountMismatch(let expected, let actual):
            return "the matrix needs \(expected) values but \(actual) were given"
        case .matrixTooLarge(let entries, let limit):
            return "the matrix has \(entries) entries; at most \(limit) are supported"
        case .noFactors:
            return "no factor shapes given"
        case .invalidFactorShape(let factor, let rows, let columns):
            return "factor \(factor) has invalid shape \(rows)x\(columns): both sizes must be at least 1"
        case .shapeMismatch(let rowProduct, let columnProduct, let rows, let columns):
            return "the factor shapes multiply to \(rowProduct)x\(columnProduct) but the matrix is \(rows)x\(columns)"
        case .invalidRank(let rank, let maximum):
            return "rank \(rank) is invalid: it must be between 1 and \(maximum) for these shapes"
        case .nonFiniteEntry(let row, let column):
            return "entry (\(row), \(column)) is not a finite number"
        case .invalidOption(let name, let reason):
            return "invalid option \(name): \(reason)"
        case .invalidAutoShape(let size, let reason):
            return "cannot choose factor shapes for size \(size): \(reason)"
        case .lapackFailure(let routine, let info):
            return "LAPACK \(routine) failed with info = \(info)"
        }
    }
}
