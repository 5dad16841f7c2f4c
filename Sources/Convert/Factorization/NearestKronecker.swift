/// Nearest Kronecker product factorization: A ≈ Σ_{k<r} W_0^(k) ⊗ W_1^(k) ⊗ … ⊗ W_{F−1}^(k) in Double precision,
/// for real or complex A (Van Loan–Pitsianis for two factors, sequential SVD + alternating refinement beyond).
///
/// Conventions (the same as `numpy.kron`, docs/KRONECKER.md §1): matrices are row-major and 0-based; factor f is
/// P_f × Q_f; row i of A has mixed-radix digits (p_0, …, p_{F−1}) over (P_0, …, P_{F−1}) with factor 0 the most
/// significant digit, column j likewise over the Q_f, and (W_0 ⊗ … ⊗ W_{F−1})[i, j] = ∏_f W_f[p_f, q_f].
///
/// Every public entry point lives in this namespace; internal helpers are nested in it too so that the
/// module's other parts (checkpoint readers, conversion) never collide with them.
///
/// Algorithms, in brief (details on each helper):
/// - F = 1: A itself, exactly.
/// - F = 2: the Kronecker SVD — the top r singular triples of the rearrangement R(A) (P_0Q_0 × P_1Q_1), which is
///   optimal among all r-term sums (Eckart–Young). The singular solver is chosen by size (``SingularSolver``).
/// - F > 2, r = 1: sequential SVD (peel factor 0 off, recurse) as the start, then alternating higher-order power
///   refinement (HOPM/ALS), plus optional seeded random restarts; the best result is kept.
/// - F > 2, r > 1: greedy deflation with joint refinement — each new term is fitted to the residual of the
///   terms so far (sequential SVD + HOPM), then all terms are refined jointly by alternating least squares
///   (CP-ALS), so rank r is never worse than rank r − 1; restarts as above.
public enum NearestKronecker {
    /// Factorizes a real matrix.
    ///
    /// - Parameters:
    ///   - matrix: A, M × N, row-major.
    ///   - shapes: (P_f, Q_f) for f = 0 … F−1, factor 0 most significant; ∏P_f must equal M and ∏Q_f must equal N.
    ///     Rectangular factors are allowed. ``autoShapes(size:rule:)`` proposes lists for square matrices.
    ///   - rank: r ≥ 1, the number of Kronecker products summed.
    ///   - options: iteration limits, tolerances, restarts, seed, solver choice.
    ///   - progress: called with a non-decreasing fraction in [0, 1] (ending with 1) for a progress line.
    /// - Returns: the factors (balanced, gauge-fixed — see ``KroneckerFactorization``) and error figures.
    /// - Throws: ``KroneckerFactorizationError`` for inconsistent sizes, non-finite entries, a rank the shapes
    ///   cannot hold, invalid options, or a LAPACK failure.
    public static func factorize(
        _ matrix: Matrix<Double>, shapes: [FactorShape], rank: Int = 1, options: Options = Options(),
        progress: ((Progress) -> Void)? = nil
    ) throws(KroneckerFactorizationError) -> KroneckerFactorization<Double> {
        try run(matrix, shapes: shapes, rank: rank, options: options, progress: progress)
    }

    /// Factorizes a complex matrix; the same algorithms with conjugations where least squares needs them.
    /// The factors are complex even when A happens to be real.
    ///
    /// Complex input is a ``Matrix`` of ``Complex`` values, whose storage is interleaved (re, im) pairs — the
    /// container's complex128 layout and what LAPACK's `zgesvd` family reads. Build one from interleaved Doubles
    /// with ``Matrix/init(rows:columns:interleaved:)`` or from split planes with
    /// ``Matrix/init(rows:columns:real:imaginary:)``.
    public static func factorize(
        _ matrix: Matrix<Complex>, shapes: [FactorShape], rank: Int = 1, options: Options = Options(),
        progress: ((Progress) -> Void)? = nil
    ) throws(KroneckerFactorizationError) -> KroneckerFactorization<Complex> {
        try run(matrix, shapes: shapes, rank: rank, options: options, progress: progress)
    }
}
