/// The three mode-product kernels of a complex Kronecker chain, in Double on split planes.
///
/// A batch of tensors is viewed as `[outer, Q, inner]` (input side) and `[outer, P, inner]` (output side): mode
/// f of a chain, with `outer` = batch × (sizes of the modes before f) and `inner` = (sizes of the modes after f).
/// W is P × Q, row-major. With ȳ = ∂L/∂Re y + i ∂L/∂Im y (the gradient convention of this module):
///
/// - forward:  y[a, p, r] = Σ_q W[p, q] · x[a, q, r]
/// - adjoint:  x̄[a, q, r] = Σ_p conj(W[p, q]) · ȳ[a, p, r]            (the gradient w.r.t. x)
/// - gradient: W̄[p, q] += Σ_{a, r} ȳ[a, p, r] · conj(x[a, q, r])        (the gradient w.r.t. W)
///
/// The last two follow from dL = Re Σ conj(ȳ)·dy with dy = dW·x + W·dx (see ``KroneckerChain``).
enum ComplexModeProduct {
    struct Geometry {
        let rows: Int  // P
        let columns: Int  // Q
        let outer: Int
        let inner: Int
    }

    /// y = (or +=) W ×_mode x.
    static func forward(_ w: SplitPointer, _ g: Geometry, x: SplitPointer, y: SplitPointer, accumulate: Bool) {
        let (p0, q0, inner) = (g.rows, g.columns, g.inner)
        let (wr, wi) = (w.re, w.im)
        if inner == 1 {
            // Short runs: keep the sums in registers instead of streaming through y.
            for a in 0..<g.outer {
                let xr = x.re + a * q0, xi = x.im + a * q0
                let yr = y.re + a * p0, yi = y.im + a * p0
                for p in 0..<p0 {
                    var sr = 0.0, si = 0.0
                    let row = p * q0
                    for q in 0..<q0 {
                        let (ar, ai, br, bi) = (wr[row + q], wi[row + q], xr[q], xi[q])
                        sr += ar * br - ai * bi
                        si += ar * bi + ai * br
                    }
                    if accumulate {
                        yr[p] += sr
                        yi[p] += si
                    } else {
                        yr[p] = sr
                        yi[p] = si
                    }
                }
            }
            return
        }
        for a in 0..<g.outer {
            for p in 0..<p0 {
                let yr = y.re + (a * p0 + p) * inner, yi = y.im + (a * p0 + p) * inner
                if !accumulate {
                    yr.update(repeating: 0, count: inner)
                    yi.update(repeating: 0, count: inner)
                }
                for q in 0..<q0 {
                    let ar = wr[p * q0 + q], ai = wi[p * q0 + q]
                    let xr = x.re + (a * q0 + q) * inner, xi = x.im + (a * q0 + q) * inner
                    for r in 0..<inner {
                        let br = xr[r], bi = xi[r]
                        yr[r] += ar * br - ai * bi
                        yi[r] += ar * bi + ai * br
                    }
                }
            }
        }
    }

    /// x̄ = (or +=) Wᴴ ×_mode ȳ.
    static func adjoint(_ w: SplitPointer, _ g: Geometry, gradOutput y: SplitPointer, gradInput x: SplitPointer,
                        accumulate: Bool) {
        let (p0, q0, inner) = (g.rows, g.columns, g.inner)
        let (wr, wi) = (w.re, w.im)
        if inner == 1 {
            for a in 0..<g.outer {
                let yr = y.re + a * p0, yi = y.im + a * p0
                let xr = x.re + a * q0, xi = x.im + a * q0
                for q in 0..<q0 {
                    var sr = 0.0, si = 0.0
                    for p in 0..<p0 {
                        // conj(w)·ȳ = (ar − i·ai)(br + i·bi)
                        let (ar, ai, br, bi) = (wr[p * q0 + q], wi[p * q0 + q], yr[p], yi[p])
                        sr += ar * br + ai * bi
                        si += ar * bi - ai * br
                    }
                    if accumulate {
                        xr[q] += sr
                        xi[q] += si
                    } else {
                        xr[q] = sr
                        xi[q] = si
                    }
                }
            }
            return
        }
        for a in 0..<g.outer {
            for q in 0..<q0 {
                let xr = x.re + (a * q0 + q) * inner, xi = x.im + (a * q0 + q) * inner
                if !accumulate {
                    xr.update(repeating: 0, count: inner)
                    xi.update(repeating: 0, count: inner)
                }
                for p in 0..<p0 {
                    let ar = wr[p * q0 + q], ai = wi[p * q0 + q]
                    let yr = y.re + (a * p0 + p) * inner, yi = y.im + (a * p0 + p) * inner
                    for r in 0..<inner {
                        let br = yr[r], bi = yi[r]
                        xr[r] += ar * br + ai * bi
                        xi[r] += ar * bi - ai * br
                    }
                }
            }
        }
    }

    /// W̄ += Σ_{a,r} ȳ[a, p, r]·conj(x[a, q, r]) — the mode-f unfoldings of ȳ and x, contracted.
    static func accumulateGradient(_ gradient: SplitPointer, _ g: Geometry, gradOutput y: SplitPointer,
                                   input x: SplitPointer) {
        let (p0, q0, inner) = (g.rows, g.columns, g.inner)
        let (gr, gi) = (gradient.re, gradient.im)
        for a in 0..<g.outer {
            for p in 0..<p0 {
                let yr = y.re + (a * p0 + p) * inner, yi = y.im + (a * p0 + p) * inner
                for q in 0..<q0 {
                    let xr = x.re + (a * q0 + q) * inner, xi = x.im + (a * q0 + q) * inner
                    var sr = 0.0, si = 0.0
                    for r in 0..<inner {
                        // ȳ·conj(x) = (br + i·bi)(cr − i·ci)
                        let (br, bi, cr, ci) = (yr[r], yi[r], xr[r], xi[r])
                        sr += br * cr + bi * ci
                        si += bi * cr - br * ci
                    }
                    gr[p * q0 + q] += sr
                    gi[p * q0 + q] += si
                }
            }
        }
    }
}
