/// Why a parameter count could not be computed: an architecture outside what the formulas describe.
///
/// Every case names the offending value, so a command line tool can print it as is.
public enum ParameterCountError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A size (hidden size, input width, output width) is below 1 or above the limit.
    case dimensionOutOfRange(name: String, value: Int, limit: Int)
    /// A KRU architecture without Kronecker factors.
    case noFactors
    /// More Kronecker factors than ``ParameterCountLimits/maxFactorCount``.
    case tooManyFactors(count: Int, limit: Int)
    /// Factor `index` has a size below 1.
    case invalidFactor(index: Int, rows: Int, columns: Int)
    /// ∏P_f or ∏Q_f differs from the hidden size N. Products above the dimension limit are reported as
    /// `limit + 1` (the multiplication stops there).
    case factorProductMismatch(rowProduct: Int, columnProduct: Int, hiddenSize: Int)
    /// A Kronecker rank (number of summed Kronecker products) below 1 or above the limit.
    case kroneckerRankOutOfRange(rank: Int, limit: Int)
    /// FFT-style EURNN needs N to be a power of two (N ≥ 2): it has log2 N layers.
    case eurnnFFTNeedsPowerOfTwo(hiddenSize: Int)
    /// Tunable-style EURNN needs an even N (rotations act on pairs of units).
    case eurnnTunableNeedsEvenHiddenSize(hiddenSize: Int)
    /// Tunable-style EURNN capacity L must be even and 2 ≤ L ≤ N (as the reference implementation requires).
    case eurnnCapacityOutOfRange(capacity: Int, hiddenSize: Int)

    public var description: String {
        switch self {
        case let .dimensionOutOfRange(name, value, limit):
            "\(name) is \(value); it must be between 1 and \(limit)"
        case .noFactors:
            "a KRU needs at least one Kronecker factor"
        case let .tooManyFactors(count, limit):
            "\(count) Kronecker factors given; at most \(limit) are allowed"
        case let .invalidFactor(index, rows, columns):
            "Kronecker factor \(index) is \(rows)×\(columns); both sizes must be at least 1"
        case let .factorProductMismatch(rowProduct, columnProduct, hiddenSize):
            "the Kronecker factors multiply to \(rowProduct)×\(columnProduct), but the hidden size is \(hiddenSize)"
                + " (∏P_f and ∏Q_f must both equal N)"
        case let .kroneckerRankOutOfRange(rank, limit):
            "Kronecker rank is \(rank); it must be between 1 and \(limit)"
        case let .eurnnFFTNeedsPowerOfTwo(hiddenSize):
            "FFT-style EURNN needs a hidden size that is a power of two (at least 2), not \(hiddenSize)"
        case let .eurnnTunableNeedsEvenHiddenSize(hiddenSize):
            "tunable-style EURNN needs an even hidden size, not \(hiddenSize)"
        case let .eurnnCapacityOutOfRange(capacity, hiddenSize):
            "tunable-style EURNN capacity is \(capacity); it must be even and between 2 "
                + "and the hidden size \(hiddenSize)"
        }
    }
}
