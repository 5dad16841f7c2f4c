/// One recurrent layer with its readout, described by the sizes the parameter formulas need.
///
/// - N, ``hiddenSize``: the number of hidden units (complex units for a complex KRU).
/// - D, ``inputWidth``: the width of the vector x_t that the cell's input matrix U multiplies. For a token
///   model with an embedding table this is the **embedding width**; without one it is the **vocabulary
///   size** (one-hot input, so U's columns act as the embedding). An embedding table in front of the cell
///   (vocabulary × D) is not part of any count here: it is the same for every model compared, so add it
///   separately if you want it in a total.
/// - K, ``outputWidth``: the width of the readout y_t = V h_t + c (number of classes or symbols).
/// - ``factors``: the KRU's Kronecker factor shapes (P_f, Q_f), f = 0 … F−1. The recurrent matrix is
///   W = W_0 ⊗ … ⊗ W_{F−1}, so ∏P_f = ∏Q_f = N (Jose et al. 2018, eq. 4). The usual case is square factors
///   (P_f = Q_f), e.g. log2 N factors of 2×2; rectangular factors whose products both equal N are accepted
///   because the paper's definition allows them.
/// - ``complexFactors``: complex factors (the paper's KRU, a complex cell) or real ones (a real cell).
/// - ``kroneckerRank``: how many Kronecker products are summed into W (1 in the paper; the model schema
///   allows more). Each term has its own factors of the same shapes.
///
/// The baselines (dense RNN, LSTM, GRU, unitary RNNs) use only N, D and K.
public struct RecurrentArchitecture: Sendable, Hashable {
    public let hiddenSize: Int
    public let inputWidth: Int
    public let outputWidth: Int
    public let factors: [KroneckerFactorShape]
    public let complexFactors: Bool
    public let kroneckerRank: Int

    /// Checks the sizes: N, D, K in 1 ... 2^24; 1 to 64 factors, each at least 1×1; ∏P_f = ∏Q_f = N;
    /// rank in 1 ... 64.
    /// - Throws: ``ParameterCountError`` naming the first offending value.
    public init(
        hiddenSize: Int, inputWidth: Int, outputWidth: Int,
        factors: [KroneckerFactorShape], complexFactors: Bool = true, kroneckerRank: Int = 1
    ) throws(ParameterCountError) {
        try ParameterCountLimits.check(hiddenSize: hiddenSize, inputWidth: inputWidth, outputWidth: outputWidth)
        guard !factors.isEmpty else { throw .noFactors }
        guard factors.count <= ParameterCountLimits.maxFactorCount else {
            throw .tooManyFactors(count: factors.count, limit: ParameterCountLimits.maxFactorCount)
        }
        for (index, factor) in factors.enumerated() where factor.rows < 1 || factor.columns < 1 {
            throw .invalidFactor(index: index, rows: factor.rows, columns: factor.columns)
        }
        let rowProduct = Self.cappedProduct(factors.map(\.rows))
        let columnProduct = Self.cappedProduct(factors.map(\.columns))
        guard rowProduct == hiddenSize, columnProduct == hiddenSize else {
            throw .factorProductMismatch(rowProduct: rowProduct, columnProduct: columnProduct, hiddenSize: hiddenSize)
        }
        guard kroneckerRank >= 1, kroneckerRank <= ParameterCountLimits.maxKroneckerRank else {
            throw .kroneckerRankOutOfRange(rank: kroneckerRank, limit: ParameterCountLimits.maxKroneckerRank)
        }
        self.hiddenSize = hiddenSize
        self.inputWidth = inputWidth
        self.outputWidth = outputWidth
        self.factors = factors
        self.complexFactors = complexFactors
        self.kroneckerRank = kroneckerRank
    }

    /// Square factors of the given sizes, e.g. `[2, 2, 2]` for 2×2⊗2×2⊗2×2 and N = 8; N is their product.
    public init(
        squareFactorSizes sizes: [Int], inputWidth: Int, outputWidth: Int,
        complexFactors: Bool = true, kroneckerRank: Int = 1
    ) throws(ParameterCountError) {
        for (index, size) in sizes.enumerated() where size < 1 {
            throw .invalidFactor(index: index, rows: size, columns: size)
        }
        try self.init(
            hiddenSize: Self.cappedProduct(sizes), inputWidth: inputWidth, outputWidth: outputWidth,
            factors: sizes.map(KroneckerFactorShape.init(square:)), complexFactors: complexFactors,
            kroneckerRank: kroneckerRank)
    }

    /// Σ_f P_f·Q_f over the factors of one Kronecker product.
    public var factorEntryCount: Int { factors.reduce(0) { $0 + $1.entryCount } }

    /// The product of `sizes`, stopping at ``ParameterCountLimits/maxDimension`` + 1 so it cannot overflow.
    /// Sizes below 1 are left for the caller's checks (the product is then not a valid N).
    static func cappedProduct(_ sizes: [Int]) -> Int {
        let cap = ParameterCountLimits.maxDimension + 1
        var product = 1
        for size in sizes {
            guard size >= 1 else { return size < 0 ? -1 : 0 }
            let (next, overflow) = product.multipliedReportingOverflow(by: size)
            if overflow || next >= cap { return cap }
            product = next
        }
        return product
    }
}
