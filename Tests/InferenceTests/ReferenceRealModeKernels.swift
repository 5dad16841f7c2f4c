@testable import KRUInference

/// The engine's former Swift per-pass loops, kept as the definition the C mode kernels
/// (Sources/CInferenceKernels/mode_variant.h) must reproduce bit for bit.
///
/// The real mode product y[a, p, b] = Σ_q W[p, q] · x[a, q, b] over an L × Q × R tensor, as tight loops
/// on raw pointers (no allocation, no bounds checks in release builds).
///
/// Every loop sums the Q terms in ascending q and starts from the q = 0 product, so the general and the
/// specialised loops perform identical arithmetic; batching only lengthens the L loop.
enum ReferenceRealModeKernels {
    /// Runs one pass for `batchSize` batch-major vectors. `source` holds batch·L·Q·R floats,
    /// `destination` receives batch·L·P·R; they must not overlap.
    @inline(__always)
    static func run(
        _ pass: KroneckerModePass, batchSize: Int, weights: UnsafePointer<Float>,
        source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>
    ) {
        let w = weights + pass.weightOffset
        let outer = pass.outerCount * batchSize
        switch (pass.rows, pass.columns) {
        case (2, 2):
            twoByTwo(w, outer: outer, inner: pass.innerCount, source, destination)
        case (4, 4):
            fourByFour(w, outer: outer, inner: pass.innerCount, source, destination)
        default:
            if pass.innerCount == 1 {
                generalUnitStride(
                    w, rows: pass.rows, columns: pass.columns, outer: outer, source, destination)
            } else {
                general(
                    w, rows: pass.rows, columns: pass.columns, outer: outer, inner: pass.innerCount,
                    source, destination)
            }
        }
    }

    /// Any P × Q: for each output run, one scaled copy (q = 0) and Q − 1 AXPYs over R contiguous floats.
    static func general(
        _ w: UnsafePointer<Float>, rows: Int, columns: Int, outer: Int, inner: Int,
        _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>
    ) {
        for a in 0..<outer {
            let x = source + a * columns * inner
            let yBlock = destination + a * rows * inner
            for p in 0..<rows {
                let y = yBlock + p * inner
                let row = w + p * columns
                let w0 = row[0]
                for b in 0..<inner { y[b] = w0 * x[b] }
                var q = 1
                while q < columns {
                    let wq = row[q]
                    let xq = x + q * inner
                    for b in 0..<inner { y[b] += wq * xq[b] }
                    q += 1
                }
            }
        }
    }

    /// Any P × Q when R = 1 (the last mode): each output is a short dot product, so accumulate in a
    /// register instead of re-reading and re-writing y once per q.
    static func generalUnitStride(
        _ w: UnsafePointer<Float>, rows: Int, columns: Int, outer: Int,
        _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>
    ) {
        for a in 0..<outer {
            let x = source + a * columns
            let y = destination + a * rows
            for p in 0..<rows {
                let row = w + p * columns
                var sum = row[0] * x[0]
                var q = 1
                while q < columns {
                    sum += row[q] * x[q]
                    q += 1
                }
                y[p] = sum
            }
        }
    }

    /// 2 × 2: the four weights stay in registers; one sweep reads both input runs and writes both outputs.
    static func twoByTwo(
        _ w: UnsafePointer<Float>, outer: Int, inner: Int,
        _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>
    ) {
        let (w00, w01, w10, w11) = (w[0], w[1], w[2], w[3])
        for a in 0..<outer {
            let x0 = source + a * 2 * inner, x1 = x0 + inner
            let y0 = destination + a * 2 * inner, y1 = y0 + inner
            for b in 0..<inner {
                let u = x0[b], v = x1[b]
                y0[b] = w00 * u + w01 * v
                y1[b] = w10 * u + w11 * v
            }
        }
    }

    /// 4 × 4: sixteen weights in registers; one sweep over four input runs produces four output runs.
    static func fourByFour(
        _ w: UnsafePointer<Float>, outer: Int, inner: Int,
        _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>
    ) {
        let (w00, w01, w02, w03) = (w[0], w[1], w[2], w[3])
        let (w10, w11, w12, w13) = (w[4], w[5], w[6], w[7])
        let (w20, w21, w22, w23) = (w[8], w[9], w[10], w[11])
        let (w30, w31, w32, w33) = (w[12], w[13], w[14], w[15])
        for a in 0..<outer {
            let x0 = source + a * 4 * inner, x1 = x0 + inner, x2 = x1 + inner, x3 = x2 + inner
            let y0 = destination + a * 4 * inner, y1 = y0 + inner, y2 = y1 + inner, y3 = y2 + inner
            for b in 0..<inner {
                let s0 = x0[b], s1 = x1[b], s2 = x2[b], s3 = x3[b]
                y0[b] = w00 * s0 + w01 * s1 + w02 * s2 + w03 * s3
                y1[b] = w10 * s0 + w11 * s1 + w12 * s2 + w13 * s3
                y2[b] = w20 * s0 + w21 * s1 + w22 * s2 + w23 * s3
                y3[b] = w30 * s0 + w31 * s1 + w32 * s2 + w33 * s3
            }
        }
    }
}
