/// Which terms besides the recurrent factors a KRU cell has — the choices the KRU paper leaves open
/// (docs/KRONECKER.md §9), made explicit so a count says what it includes.
///
/// The cell is h_t = σ(W h_{t−1} + U x_t + b), y_t = V [Re h_t; Im h_t] + c (spec/MODEL.md §4).
public struct KRUCellTerms: Sendable, Hashable {
    /// The additive hidden bias b.
    public enum HiddenBias: Sendable, Hashable, CaseIterable {
        /// No additive bias.
        case none
        /// A real bias vector: N parameters.
        case real
        /// A complex bias vector: 2N parameters (this project's cell).
        case complex
    }

    /// U ∈ ℂ^{N×D} (2ND parameters) when true, U ∈ ℝ^{N×D} (ND) when false.
    public var complexInputWeights: Bool
    /// The additive bias b.
    public var hiddenBias: HiddenBias
    /// The modReLU nonlinearity's own real bias, modReLU(z) = ReLU(|z| + β) z/|z| (Arjovsky et al. 2016):
    /// N parameters. Split ReLU and split tanh have none.
    public var modReLUBias: Bool
    /// A trained initial state h_0 (2N for a complex cell). The uRNN reference code trains one; this
    /// project's cell starts from zero.
    public var learnedInitialState: Bool

    public init(
        complexInputWeights: Bool = true, hiddenBias: HiddenBias = .complex, modReLUBias: Bool = false,
        learnedInitialState: Bool = false
    ) {
        self.complexInputWeights = complexInputWeights
        self.hiddenBias = hiddenBias
        self.modReLUBias = modReLUBias
        self.learnedInitialState = learnedInitialState
    }

    /// This project's cell (spec/MODEL.md §4, docs/KRONECKER.md §9): complex U, complex b, plus the modReLU bias
    /// when the nonlinearity is modReLU; no trained h_0.
    public static func projectCell(modReLU: Bool) -> KRUCellTerms {
        KRUCellTerms(complexInputWeights: true, hiddenBias: .complex, modReLUBias: modReLU)
    }

    /// The terms that reproduce the KRU paper's pixel-MNIST total (Jose et al. 2018, MNIST table: N = 512,
    /// 2×2 factors, "≈11k"): complex U, no hidden bias, no modReLU bias, no trained h_0.
    ///
    /// What the number pins down (D = 1, K = 10, two significant digits, so 10,500 ≤ total < 11,500):
    /// - the recurrent factors, 8·log2 512 = 72, and a readout over [Re h; Im h], 10·1024 + 10 = 10,250, are
    ///   in: a readout over Re h alone (10·512 + 10) leaves the total below 9k whatever else is counted;
    /// - at most 1,177 more parameters fit. Complex U alone (1,024) gives 11,346; so does real U (512) with
    ///   a real bias or a modReLU bias (512) — the paper's number cannot tell these two apart;
    /// - excluded: complex U with a complex bias (12,370), complex U with a modReLU bias (11,858), any
    ///   trained h_0 (+1,024).
    ///
    /// So the paper's count leaves out the hidden bias (or uses a real U), and this project's cell, which
    /// has a complex bias, totals 12,370 for the same shape.
    public static let paperPixelMNIST = KRUCellTerms(
        complexInputWeights: true, hiddenBias: .none, modReLUBias: false, learnedInitialState: false)
}
