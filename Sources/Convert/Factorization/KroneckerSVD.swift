extension NearestKronecker {
    /// F = 2: the Kronecker SVD (Van Loan–Pitsianis; docs/KRONECKER.md §2). T is R(A), a
    /// (P_0Q_0) × (P_1Q_1) matrix, and ‖A − Σ_k B_k ⊗ C_k‖ = ‖R(A) − Σ_k vec(B_k)vec(C_k)ᵀ‖, so by Eckart–Young the
    /// top r singular triples give the optimal r-term sum: vec(B_k) ∝ u_k, vec(C_k) ∝ conj(v_k) = row k of Vᴴ,
    /// scale σ_k, error² = Σ_{k>r} σ_k². The families {B_k} and {C_k} are Frobenius-orthogonal.
    static func kroneckerSVD<S: Scalar>(
        _ t: UnsafeBufferPointer<S>, modes: [Int], rank: Int, options: Options, reporter: ProgressReporter
    ) throws(KroneckerFactorizationError) -> (terms: UnitTerms<S>, triples: SingularTriples<S>) {
        reporter.begin(.kroneckerSVD, width: 1)
        let triples = try topSingularTriples(
            of: t, rows: modes[0], columns: modes[1], count: rank, options: options, seed: options.seed,
            progress: reporter.update)
        var terms = UnitTerms<S>.empty()
        for k in 0..<rank {
            terms.append(scale: triples.values[k], vectors: [triples.left[k], triples.rightAdjoint[k]])
        }
        return (terms, triples)
    }
}
