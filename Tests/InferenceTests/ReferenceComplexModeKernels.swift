@testable import KRUInference

/// The engine's former Swift per-pass loops, kept as the definition the C mode kernels
/// (Sources/CInferenceKernels/mode_variant.h) must reproduce bit for bit.
///
/// The complex mode product y[a, p, b] = Σ_q W[p, q] · x[a, q, b] on split planes.
///
/// Each complex multiply-add is (w_r·x_r − w_i·x_i) + i(w_r·x_i + w_i·x_r): four real AXPYs over
/// contiguous runs. Every loop forms each term with exactly that grouping, starts from the q = 0 term
/// and adds terms in ascending q, so the general and the specialised loops agree to the bit.
enum ReferenceComplexModeKernels {
    /// Runs one pass for `batchSize` batch-major vectors; `source` and `destination` must not overlap.
    @inline(__always)
    static func run(
        _ pass: KroneckerModePass, batchSize: Int, weights: SplitComplexSource,
        source: SplitComplexSource, destination: SplitComplexDestination
    ) {
        let w = SplitComplexSource(
            real: weights.real + pass.weightOffset, imaginary: weights.imaginary + pass.weightOffset)
        let outer = pass.outerCount * batchSize
        switch (pass.rows, pass.columns) {
        case (2, 2):
            twoByTwo(w, outer: outer, inner: pass.innerCount, source, destination)
        case (4, 4):
            fourByFour(w, outer: outer, inner: pass.innerCount, source, destination)
        default:
            general(
                w, rows: pass.rows, columns: pass.columns, outer: outer, inner: pass.innerCount,
                source, destination)
        }
    }

    /// Any P × Q: per output run, one complex scaled copy (q = 0) and Q − 1 complex AXPYs.
    static func general(
        _ w: SplitComplexSource, rows: Int, columns: Int, outer: Int, inner: Int,
        _ source: SplitComplexSource, _ destination: SplitComplexDestination
    ) {
        for a in 0..<outer {
            let xr = source.real + a * columns * inner, xi = source.imaginary + a * columns * inner
            for p in 0..<rows {
                let yr = destination.real + (a * rows + p) * inner
                let yi = destination.imaginary + (a * rows + p) * inner
                let wr0 = w.real[p * columns], wi0 = w.imaginary[p * columns]
                for b in 0..<inner {
                    yr[b] = wr0 * xr[b] - wi0 * xi[b]
                    yi[b] = wr0 * xi[b] + wi0 * xr[b]
                }
                var q = 1
                while q < columns {
                    let wr = w.real[p * columns + q], wi = w.imaginary[p * columns + q]
                    let xqr = xr + q * inner, xqi = xi + q * inner
                    for b in 0..<inner {
                        yr[b] += wr * xqr[b] - wi * xqi[b]
                        yi[b] += wr * xqi[b] + wi * xqr[b]
                    }
                    q += 1
                }
            }
        }
    }

    /// 2 × 2: eight weight scalars in registers; one sweep reads both input runs, writes both outputs.
    static func twoByTwo(
        _ w: SplitComplexSource, outer: Int, inner: Int,
        _ source: SplitComplexSource, _ destination: SplitComplexDestination
    ) {
        let (r00, r01, r10, r11) = (w.real[0], w.real[1], w.real[2], w.real[3])
        let (i00, i01, i10, i11) = (w.imaginary[0], w.imaginary[1], w.imaginary[2], w.imaginary[3])
        let xr = source.real, xi = source.imaginary, yr = destination.real, yi = destination.imaginary
        // The last factors of a chain have runs of one or two elements: a general loop that runs once or twice
        // per outer step does not vectorise and took half of a 1024-wide step (kru-bench), so those runs get
        // flat loops over the pairs. Same arithmetic, same results.
        if inner == 1 {
            for a in 0..<outer {
                let ur = xr[2 * a], ui = xi[2 * a], vr = xr[2 * a + 1], vi = xi[2 * a + 1]
                yr[2 * a] = (r00 * ur - i00 * ui) + (r01 * vr - i01 * vi)
                yi[2 * a] = (r00 * ui + i00 * ur) + (r01 * vi + i01 * vr)
                yr[2 * a + 1] = (r10 * ur - i10 * ui) + (r11 * vr - i11 * vi)
                yi[2 * a + 1] = (r10 * ui + i10 * ur) + (r11 * vi + i11 * vr)
            }
            return
        }
        if inner == 2 {
            for a in 0..<outer {
                for b in 0..<2 {
                    let u = 4 * a + b, v = u + 2
                    let ur = xr[u], ui = xi[u], vr = xr[v], vi = xi[v]
                    yr[u] = (r00 * ur - i00 * ui) + (r01 * vr - i01 * vi)
                    yi[u] = (r00 * ui + i00 * ur) + (r01 * vi + i01 * vr)
                    yr[v] = (r10 * ur - i10 * ui) + (r11 * vr - i11 * vi)
                    yi[v] = (r10 * ui + i10 * ur) + (r11 * vi + i11 * vr)
                }
            }
            return
        }
        for a in 0..<outer {
            let base = a * 2 * inner
            let x0r = source.real + base, x1r = x0r + inner
            let x0i = source.imaginary + base, x1i = x0i + inner
            let y0r = destination.real + base, y1r = y0r + inner
            let y0i = destination.imaginary + base, y1i = y0i + inner
            for b in 0..<inner {
                let ur = x0r[b], ui = x0i[b], vr = x1r[b], vi = x1i[b]
                y0r[b] = (r00 * ur - i00 * ui) + (r01 * vr - i01 * vi)
                y0i[b] = (r00 * ui + i00 * ur) + (r01 * vi + i01 * vr)
                y1r[b] = (r10 * ur - i10 * ui) + (r11 * vr - i11 * vi)
                y1i[b] = (r10 * ui + i10 * ur) + (r11 * vi + i11 * vr)
            }
        }
    }

    /// 4 × 4: one sweep over four input runs produces four output runs. The 32 weight scalars exceed
    /// the register file, so rows are produced one at a time from weights reloaded per row — still one
    /// pass over the tensor instead of sixteen AXPY sweeps.
    static func fourByFour(
        _ w: SplitComplexSource, outer: Int, inner: Int,
        _ source: SplitComplexSource, _ destination: SplitComplexDestination
    ) {
        for a in 0..<outer {
            let base = a * 4 * inner
            let xr = source.real + base, xi = source.imaginary + base
            let x0r = xr, x1r = xr + inner, x2r = xr + 2 * inner, x3r = xr + 3 * inner
            let x0i = xi, x1i = xi + inner, x2i = xi + 2 * inner, x3i = xi + 3 * inner
            for p in 0..<4 {
                let (r0, r1, r2, r3) = (w.real[4 * p], w.real[4 * p + 1], w.real[4 * p + 2], w.real[4 * p + 3])
                let (i0, i1, i2, i3) = (
                    w.imaginary[4 * p], w.imaginary[4 * p + 1], w.imaginary[4 * p + 2], w.imaginary[4 * p + 3]
                )
                let yr = destination.real + base + p * inner
                let yi = destination.imaginary + base + p * inner
                for b in 0..<inner {
                    let ar = x0r[b], ai = x0i[b], br = x1r[b], bi = x1i[b]
                    let cr = x2r[b], ci = x2i[b], dr = x3r[b], di = x3i[b]
                    yr[b] = (r0 * ar - i0 * ai) + (r1 * br - i1 * bi) + (r2 * cr - i2 * ci) + (r3 * dr - i3 * di)
                    yi[b] = (r0 * ai + i0 * ar) + (r1 * bi + i1 * br) + (r2 * ci + i2 * cr) + (r3 * di + i3 * dr)
                }
            }
        }
    }
}
