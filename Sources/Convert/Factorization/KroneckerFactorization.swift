/// The result of `NearestKronecker.factorize`:
/// A ≈ Σ_k W_0^(k) ⊗ … ⊗ W_{F−1}^(k), with error figures.
///
/// Canonical form of every term (so results compare across runs and LAPACK builds):
/// - **Balanced scale**: all factors of a term have the same Frobenius norm, ``Term/scale``^(1/F), where
///   ``Term/scale`` = ∏_f ‖W_f‖_F is the Frobenius norm of the term's Kronecker product.
/// - **Phase rule**: in every factor except factor 0, the first entry (row-major) whose modulus is within a
///   relative 1e-9 of the factor's largest modulus is real and positive; factor 0 absorbs the remaining sign
///   (real) or phase (complex). The tolerance keeps the choice stable when several entries tie in exact
///   arithmetic (Hadamard-like or unitary factors).
/// - Terms are ordered by decreasing scale. A zero term (scale 0) has zero factors.
public struct KroneckerFactorization<Element: Sendable>: Sendable {
    /// One Kronecker product W_0 ⊗ … ⊗ W_{F−1}.
    public struct Term: Sendable {
        /// W_f for f = 0 … F−1, shaped like the requested ``KroneckerFactorization/shapes``.
        public var factors: [NearestKronecker.Matrix<Element>]
        /// ∏_f ‖W_f‖_F = ‖W_0 ⊗ … ⊗ W_{F−1}‖_F. For F = 2 this is the singular value σ_k of R(A).
        public var scale: Double
    }

    /// How the result was computed.
    public enum Algorithm: Hashable, Sendable {
        /// F = 1 (the factor is A) or A = 0.
        case trivial
        /// F = 2: the Kronecker SVD (top singular triples of R(A)) with the named solver.
        case kroneckerSVD(NearestKronecker.SingularSolver)
        /// F > 2, refinement off: sequential SVD (r = 1) or greedy deflation of sequential SVDs (r > 1).
        case sequentialSVD
        /// F > 2, refinement on: the start the best result came from, then alternating refinement.
        case alternating(start: Start)
    }

    /// Where the winning F > 2 run started.
    public enum Start: Hashable, Sendable {
        /// r = 1: the sequential SVD.
        case sequentialSVD
        /// r > 1: greedy deflation — each new term fitted to the residual of the terms so far (sequential SVD +
        /// HOPM), then all terms refined jointly (CP-ALS) before the next one is added.
        case greedyDeflation
        /// Random restart number `index` (0-based), seeded from ``NearestKronecker/Options/seed``.
        case random(index: Int)
    }

    /// The factor shapes, as requested.
    public var shapes: [NearestKronecker.FactorShape]
    /// The r terms, largest first.
    public var terms: [Term]
    /// ‖A‖_F.
    public var inputNorm: Double
    /// ‖A − Σ_k ⊗_f W_f^(k)‖_F, computed directly from the residual (not from ‖A‖² − λ², which would lose
    /// accuracy to cancellation when the fit is nearly exact).
    public var error: Double
    /// ``error`` / ‖A‖_F (0 when A = 0).
    public var relativeError: Double
    /// Fraction of ‖A‖_F² explained: Σ_k σ_k²/‖A‖² for F = 2 (σ_k the singular values of R(A)), λ²/‖A‖² for
    /// F > 2 and r = 1, 1 − relativeError² for F > 2 and r > 1; 1 when A = 0. For a least-squares-optimal
    /// scale all three agree with 1 − relativeError².
    public var capturedEnergy: Double
    /// F = 2: the optimal error over all r-term sums, √(‖A‖² − Σ_{k≤r} σ_k²) (Eckart–Young on R(A)), which
    /// ``error`` must equal. Computed by subtraction, so its absolute accuracy is about √ε·‖A‖ when the tail is
    /// tiny. Nil for F ≠ 2.
    public var optimalError: Double?
    /// F = 2: the top r singular values of R(A), descending. Nil for F ≠ 2.
    public var singularValues: [Double]?
    /// F > 2: the error before the final refinement — of the plain sequential SVD for r = 1; for r > 1, of the
    /// jointly refined r − 1 terms plus the r-th greedy term (the start of the last joint run).
    public var startError: Double?
    /// F > 2 with ``NearestKronecker/Options/computeLowerBound``: no F-factor product can have a smaller error.
    public var lowerBound: Double?
    /// F > 2: refinement sweeps of the winning run; F = 2 with Lanczos: products with R; otherwise 0.
    public var iterations: Int
    /// False when refinement or Lanczos stopped at its iteration cap instead of meeting its tolerance.
    public var converged: Bool
    /// F > 2 with refinement: max over factors f of ‖M_f − W_f Γ_f‖_F / ‖M_f‖_F measured in the last sweep,
    /// where W_f Γ_f = M_f are the normal equations of factor f (for r = 1: ‖T ×_{g≠f} ū_g − λu_f‖/λ, the
    /// stationarity residual of HOPM). Small means a stationary point. Nil otherwise.
    public var stationarityResidual: Double?
    public var algorithm: Algorithm

    /// The factors of the first (largest) term — for r = 1, the whole answer.
    public var factors: [NearestKronecker.Matrix<Element>] { terms[0].factors }

    /// ``optimalError`` / ‖A‖_F.
    public var relativeOptimalError: Double? {
        optimalError.map { inputNorm > 0 ? $0 / inputNorm : 0 }
    }
}
