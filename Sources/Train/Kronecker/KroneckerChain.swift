import KRUInference

/// One Kronecker term K = W_0 ⊗ … ⊗ W_{F−1} applied to a batch as a chain of mode products, and its backward
/// pass.
///
/// **Forward.** View x (length ∏Q_f) as a tensor with modes (Q_0, …, Q_{F−1}), factor 0 most significant
/// (`numpy.kron` order). Apply the factors in order: x_0 = x, x_{k+1} = W_k ×_k x_k, y = x_F. Tensor x_k has
/// modes (P_0, …, P_{k−1}, Q_k, …, Q_{F−1}); mode products on different modes commute, so the order is free and
/// this one keeps the index bookkeeping simple.
///
/// **Backward (Wirtinger convention).** For a real loss L and a complex variable z = u + iv write
/// z̄ = ∂L/∂u + i·∂L/∂v. Then dL = Re Σ conj(z̄)·dz for any perturbation dz. For one mode y = W ×_k x,
/// dy = dW ×_k x + W ×_k dx, so
///
///     dL = Re Σ_{a,p,r} conj(ȳ[a,p,r]) · (Σ_q dW[p,q]·x[a,q,r] + Σ_q W[p,q]·dx[a,q,r])
///
/// and reading off the coefficients of dW[p,q] and dx[a,q,r]:
///
///     x̄[a,q,r] = Σ_p conj(W[p,q])·ȳ[a,p,r]          (x̄ = Wᴴ ×_k ȳ)
///     W̄[p,q]   = Σ_{a,r} ȳ[a,p,r]·conj(x[a,q,r])    (W̄ = ȳ_(k) · x_(k)ᴴ, mode-k unfoldings)
///
/// Chained: δ_F = ȳ, and for k = F−1 … 0: W̄_k += δ_{k+1,(k)}·x_{k,(k)}ᴴ, δ_k = W_kᴴ ×_k δ_{k+1}; finally
/// x̄ = δ_0 = (⊗W_fᴴ) ȳ. Here x_k is "x with the factors before k applied", so W̄_k contracts the upstream
/// gradient with the input *with the other factors applied* — the factors after k enter through δ_{k+1}, which
/// has been pulled back through their adjoints. For a real parametrisation W = A + iB this gives
/// ∂L/∂A + i·∂L/∂B = W̄ (checked against finite differences in the tests).
///
/// The intermediates x_1 … x_{F−1} are recomputed in the backward pass from x (kept by the forward pass anyway as
/// the previous state) instead of being stored for every step: one extra forward chain per step, F times less
/// memory.
struct KroneckerChain: Sendable {
    let geometry: ChainGeometry

    init(shapes: [KroneckerFactorShape]) { geometry = ChainGeometry(shapes: shapes) }

    var factorCount: Int { geometry.factorCount }
    /// The longest intermediate per vector: scratch buffers need `batch × maxLength` elements.
    var maxLength: Int { geometry.maxLength }

    private func geometry(_ k: Int, batch: Int) -> ComplexModeProduct.Geometry {
        let shape = geometry.shapes[k]
        return .init(rows: shape.rows, columns: shape.columns, outer: batch * geometry.outer[k],
                     inner: geometry.inner[k])
    }

    /// y = (or +=) K·x for `batch` vectors (batch-major planes). `scratch` holds two buffers of at least
    /// `batch × maxLength` elements; x and y must not overlap them.
    func apply(factors: [SplitPointer], x: SplitPointer, y: SplitPointer, batch: Int,
               scratch: (SplitPointer, SplitPointer), accumulate: Bool) {
        var source = x
        for k in 0..<factorCount {
            let last = k == factorCount - 1
            let destination = last ? y : (k % 2 == 0 ? scratch.0 : scratch.1)
            ComplexModeProduct.forward(factors[k], geometry(k, batch: batch), x: source, y: destination,
                                       accumulate: last && accumulate)
            source = destination
        }
    }

    /// Backward through y = K·x for `batch` vectors: adds W̄_f to `factorGradients[f]` and, if `gradInput` is
    /// given, adds Kᴴȳ to it.
    ///
    /// - Parameters:
    ///   - intermediates: F − 1 buffers (x_1 … x_{F−1}), each at least `batch × maxLength`.
    ///   - deltas: two buffers of at least `batch × maxLength` for δ_{F−1} … δ_1.
    func backward(factors: [SplitPointer], factorGradients: [SplitPointer], x: SplitPointer, gradOutput: SplitPointer,
                  gradInput: SplitPointer?, batch: Int, intermediates: [SplitPointer],
                  deltas: (SplitPointer, SplitPointer)) {
        let f = factorCount
        // Recompute x_1 … x_{F−1}.
        var source = x
        for k in 0..<(f - 1) {
            ComplexModeProduct.forward(factors[k], geometry(k, batch: batch), x: source, y: intermediates[k],
                                       accumulate: false)
            source = intermediates[k]
        }
        var delta = gradOutput  // δ_{k+1}
        for k in stride(from: f - 1, through: 0, by: -1) {
            let xk = k == 0 ? x : intermediates[k - 1]
            let g = geometry(k, batch: batch)
            ComplexModeProduct.accumulateGradient(factorGradients[k], g, gradOutput: delta, input: xk)
            if k > 0 {
                let next = k % 2 == 0 ? deltas.0 : deltas.1
                ComplexModeProduct.adjoint(factors[k], g, gradOutput: delta, gradInput: next, accumulate: false)
                delta = next
            } else if let gradInput {
                ComplexModeProduct.adjoint(factors[0], g, gradOutput: delta, gradInput: gradInput, accumulate: true)
            }
        }
    }
}
