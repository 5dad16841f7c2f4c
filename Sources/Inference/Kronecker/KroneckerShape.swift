/// The validated factor sizes of a Kronecker operator K = W_0 ⊗ … ⊗ W_{F−1}, W_f of size P_f × Q_f.
///
/// K maps vectors of length ``inputLength`` = ∏Q_f to vectors of length ``outputLength`` = ∏P_f.
/// Index convention (the same as `numpy.kron`): row i has mixed-radix digits (p_0, …, p_{F−1}) over
/// (P_0, …, P_{F−1}) with factor 0 the most significant digit, column j likewise over the Q_f, and
/// K[i, j] = ∏_f W_f[p_f, q_f].
public struct KroneckerShape: Sendable, Hashable {
    /// P_f for each factor, in factor order.
    public let rows: [Int]
    /// Q_f for each factor, in factor order.
    public let columns: [Int]
    /// ∏P_f: the length of one output vector.
    public let outputLength: Int
    /// ∏Q_f: the length of one input vector.
    public let inputLength: Int

    /// F, the number of factors.
    public var factorCount: Int { rows.count }

    /// Checks a list of factor sizes: at least one factor, at most ``KroneckerLimits/maxFactorCount``,
    /// every size ≥ 1, and input and output lengths within ``KroneckerLimits/maxVectorLength``.
    ///
    /// - Parameters:
    ///   - rows: P_f for f = 0 … F−1.
    ///   - columns: Q_f for f = 0 … F−1; must have as many entries as `rows`.
    /// - Throws: ``KroneckerOperatorError`` naming the first offending factor or length.
    public init(rows: [Int], columns: [Int]) throws(KroneckerOperatorError) {
        guard rows.count == columns.count else {
            throw .mismatchedSizeLists(rowCounts: rows.count, columnCounts: columns.count)
        }
        guard !rows.isEmpty else { throw .noFactors }
        guard rows.count <= KroneckerLimits.maxFactorCount else {
            throw .tooManyFactors(count: rows.count, limit: KroneckerLimits.maxFactorCount)
        }
        for f in rows.indices where rows[f] < 1 || columns[f] < 1 {
            throw .invalidFactorShape(factor: f, rows: rows[f], columns: columns[f])
        }
        self.rows = rows
        self.columns = columns
        self.outputLength = try Self.cappedProduct(rows, what: "the output length ∏P_f")
        self.inputLength = try Self.cappedProduct(columns, what: "the input length ∏Q_f")
    }

    /// The shape of the adjoint Kᴴ = ⊗W_fᴴ: rows and columns exchanged.
    public var adjoint: KroneckerShape {
        KroneckerShape(unchecked: columns, columns: rows, outputLength: inputLength, inputLength: outputLength)
    }

    private init(unchecked rows: [Int], columns: [Int], outputLength: Int, inputLength: Int) {
        self.rows = rows
        self.columns = columns
        self.outputLength = outputLength
        self.inputLength = inputLength
    }

    /// Multiplies sizes, stopping at the cap so no intermediate product can overflow `Int`.
    static func cappedProduct(_ sizes: [Int], what: String) throws(KroneckerOperatorError) -> Int {
        var product = 1
        for size in sizes {
            let (next, overflow) = product.multipliedReportingOverflow(by: size)
            guard !overflow, next <= KroneckerLimits.maxVectorLength else {
                throw .vectorTooLong(what: what, limit: KroneckerLimits.maxVectorLength)
            }
            product = next
        }
        return product
    }
}
