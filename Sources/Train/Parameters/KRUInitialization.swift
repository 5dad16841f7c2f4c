/// How a new ``KRUNetwork`` draws its parameters. The KRU paper does not say; the choices and their reasons are in
/// docs/TRAINING.md ("Cells") and docs/KRONECKER.md (§12).
public struct KRUInitialization: Hashable, Sendable {
    /// How the Kronecker factors start.
    public enum Factors: Hashable, Sendable {
        /// Haar-random unitary factors (isometries when rectangular), so W = ⊗W_f is exactly unitary for square
        /// factors: the state neither explodes nor vanishes at step 0.
        case randomUnitary
        /// The identity (a partial identity [I 0] for rectangular factors): W = I, the state is carried unchanged.
        case identity
    }

    public var factors: Factors
    /// Standard deviation of the real and of the imaginary part of each entry of U; nil: 1/√(2N), which gives
    /// E‖U e_j‖² = 1 (a one-hot input adds a unit-norm vector to the state).
    public var inputScale: Double?
    /// Standard deviation of each entry of V; nil: 1/√(2N) (the readout of a unit-norm state has unit variance).
    public var readoutScale: Double?
    /// Standard deviation of each embedding entry.
    public var embeddingScale: Double
    /// The initial modReLU bias β (the same for every unit). 0 makes modReLU the identity at step 0.
    public var modReLUBias: Double

    public init(factors: Factors = .randomUnitary, inputScale: Double? = nil, readoutScale: Double? = nil,
                embeddingScale: Double = 1, modReLUBias: Double = 0) {
        self.factors = factors
        self.inputScale = inputScale
        self.readoutScale = readoutScale
        self.embeddingScale = embeddingScale
        self.modReLUBias = modReLUBias
    }
}
