import Foundation
import KRUInference

extension NearestKronecker {
    /// Top singular triples of a large m × n matrix by thick-restart Golub–Kahan–Lanczos bidiagonalisation with
    /// full reorthogonalisation (in the spirit of Baglama & Reichel's augmented IRLBA, SISC 2005). Matrix-free
    /// apart from products with R and Rᴴ (BLAS `gemv`), so an N × N rearrangement (N ≥ 1024) costs 2N² per step
    /// instead of the O(N³) of a full SVD.
    ///
    /// It runs on an operator O with more rows than columns (O = R, or Rᴴ when m < n) and keeps orthonormal bases
    /// P (inputs, p_0 … p_j) and Q (outputs, q_0 … q_{j−1}) with the exact relations
    ///
    ///     O·P_j = Q_j·B_j          (B_j upper triangular, from explicit orthogonalisation)
    ///     Oᴴ·Q_j = P_j·B_jᴴ + β_j·p_j·e_{j−1}ᵀ
    ///
    /// Ritz triples from the small SVD B_j = X Σ Yᴴ are (σ_i, Q x_i, P y_i); the first relation makes
    /// O·v = σ·u exact and the second gives the residual ‖Oᴴu − σv‖ = β_j·|X[j−1, i]| without another product.
    /// Stopping rule: that residual ≤ tolerance · σ_0 for every wanted triple. A restart keeps the best Ritz vectors
    /// and the last p (thick restart); B then has a full column next to a diagonal block, which the small dense SVD
    /// handles. Breakdowns (an invariant subspace, e.g. an exact Kronecker product where R has rank 1) are met by
    /// continuing with a fresh random vector orthogonal to the basis, which keeps both relations exact.
    struct LanczosBidiagonalization<S: Scalar> {
        let matrix: UnsafeBufferPointer<S>
        let rows: Int
        let columns: Int
        let normSquared: Double

        /// True when the operator is Rᴴ, so that its input side (which fills up first) is the shorter one.
        private var transposed: Bool { rows < columns }
        private var operatorRows: Int { max(rows, columns) }
        private var operatorColumns: Int { min(rows, columns) }

        /// y = O·x.
        private func apply(_ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>) {
            S.gemv(.rowMajor, transposed ? .adjoint : .none, rows: rows, columns: columns, alpha: S(real: 1),
                   matrix.baseAddress!, lda: columns, x, beta: .zero, y)
        }

        /// x = Oᴴ·y.
        private func applyAdjoint(_ y: UnsafePointer<S>, _ x: UnsafeMutablePointer<S>) {
            S.gemv(.rowMajor, transposed ? .none : .adjoint, rows: rows, columns: columns, alpha: S(real: 1),
                   matrix.baseAddress!, lda: columns, y, beta: .zero, x)
        }

        func topTriples(
            count: Int, tolerance: Double, maxSteps: Int, seed: UInt64, progress: (Double) -> Void
        ) throws(KroneckerFactorizationError) -> SingularTriples<S> {
            let mo = operatorRows
            let no = operatorColumns
            let kmax = min(no, max(count + 40, 2 * count + 20))
            let keep = max(count, kmax / 2)
            // Below this a new basis direction is rounding noise; use a fresh random one instead.
            let breakdown = 64 * Double.ulpOfOne * normSquared.squareRoot()
            var random = KRURandom(seed: seed)

            var p = [S](repeating: .zero, count: (kmax + 1) * no)
            var q = [S](repeating: .zero, count: kmax * mo)
            var b = [S](repeating: .zero, count: kmax * kmax)
            var w = [S](repeating: .zero, count: mo)
            var z = [S](repeating: .zero, count: no)
            let start: [S] = randomUnitVector(count: no, using: &random)
            p.replaceSubrange(0..<no, with: start)

            var j = 0
            var beta = 0.0
            var steps = 0
            var firstResidual = 0.0
            var small: (values: [Double], x: [S], y: [S])? = nil
            var converged = false

            outer: while true {
                while j < kmax {
                    // q_j from O·p_j, orthogonalised against q_0 … q_{j−1}; the coefficients fill column j of B.
                    p.withUnsafeBufferPointer { pb in
                        w.withUnsafeMutableBufferPointer { apply(pb.baseAddress! + j * no, $0.baseAddress!) }
                    }
                    steps += 1
                    let coefficients = orthogonalize(&w, against: q, count: j, length: mo)
                    for i in 0..<j { b[i * kmax + j] = coefficients[i] }
                    var alpha = squaredNorm(w).squareRoot()
                    if alpha <= breakdown {
                        w = freshDirection(orthogonalTo: q, count: j, length: mo, using: &random)
                        alpha = 0
                    } else {
                        for i in 0..<mo { w[i] = w[i].scaled(by: 1 / alpha) }
                    }
                    b[j * kmax + j] = S(real: alpha)
                    q.replaceSubrange((j * mo)..<((j + 1) * mo), with: w)

                    // p_{j+1} from Oᴴ·q_j, orthogonalised against p_0 … p_j (coefficients are B's, already known).
                    q.withUnsafeBufferPointer { qb in
                        z.withUnsafeMutableBufferPointer { applyAdjoint(qb.baseAddress! + j * mo, $0.baseAddress!) }
                    }
                    _ = orthogonalize(&z, against: p, count: j + 1, length: no)
                    beta = squaredNorm(z).squareRoot()
                    j += 1
                    if beta <= breakdown {
                        beta = 0
                        if j < no {
                            z = freshDirection(orthogonalTo: p, count: j, length: no, using: &random)
                        }
                    } else {
                        for i in 0..<no { z[i] = z[i].scaled(by: 1 / beta) }
                    }
                    if j < no || beta > 0 { p.replaceSubrange((j * no)..<((j + 1) * no), with: z) }

                    guard j >= count else { continue }
                    let svd = try smallSVD(b, order: j, stride: kmax)
                    small = svd
                    // ‖Oᴴu_i − σ_i v_i‖ = β·|X[j−1, i]| for the wanted triples i < count.
                    let worst = (0..<count).map { beta * svd.x[(j - 1) * j + $0].squaredMagnitude.squareRoot() }.max()!
                    let target = tolerance * max(svd.values[0], Double.leastNormalMagnitude)
                    if firstResidual == 0 { firstResidual = max(worst, target) }
                    if worst <= target || j == no {
                        converged = true
                        break outer
                    }
                    if steps >= maxSteps { break outer }
                    // Progress: how far the worst residual has fallen on a log scale towards the target.
                    if firstResidual > target { progress(log(firstResidual / worst) / log(firstResidual / target)) }
                }
                // Thick restart: keep the `keep` best Ritz triples and the last p; B becomes diag(σ).
                let svd = small!
                let keptQ = combine(q, rowsOf: svd.x, columnsStride: kmax, keep: keep, length: mo)
                let keptP = combine(p, rowsOf: svd.y, columnsStride: kmax, keep: keep, length: no)
                let last = Array(p[(kmax * no)..<((kmax + 1) * no)])
                for i in b.indices { b[i] = .zero }
                for i in 0..<keep { b[i * kmax + i] = S(real: svd.values[i]) }
                q.replaceSubrange(0..<(keep * mo), with: keptQ)
                p.replaceSubrange(0..<(keep * no), with: keptP)
                p.replaceSubrange((keep * no)..<((keep + 1) * no), with: last)
                j = keep
            }

            let svd = small!
            let left = combine(q, rowsOf: svd.x, columnsStride: j, keep: count, length: mo)
            let right = combine(p, rowsOf: svd.y, columnsStride: j, keep: count, length: no)
            let u = (0..<count).map { Array(left[($0 * mo)..<(($0 + 1) * mo)]) }
            let v = (0..<count).map { Array(right[($0 * no)..<(($0 + 1) * no)]) }
            // O = R: (u, v) are R's. O = Rᴴ = UΣVᴴ means R = VΣUᴴ: R's left vectors are v, its right ones u.
            let (rLeft, rRight) = transposed ? (v, u) : (u, v)
            return SingularTriples(
                values: Array(svd.values.prefix(count)), left: rLeft,
                rightAdjoint: rRight.map { $0.map(\.conjugate) }, solver: .lanczos, steps: steps, converged: converged)
        }

        /// x ← x − V·(Vᴴx) twice (classical Gram–Schmidt with one reorthogonalisation, enough for orthogonality to
        /// working precision), V = the first `count` rows of `basis`. Returns the summed coefficients Vᴴx.
        private func orthogonalize(_ x: inout [S], against basis: [S], count: Int, length: Int) -> [S] {
            var total = [S](repeating: .zero, count: count)
            guard count > 0 else { return total }
            var c = [S](repeating: .zero, count: count)
            for _ in 0..<2 {
                basis.withUnsafeBufferPointer { v in
                    x.withUnsafeMutableBufferPointer { xb in
                        c.withUnsafeMutableBufferPointer { cb in
                            // Row-major count × length V is column-major length × count with the vectors as columns.
                            S.gemv(.columnMajor, .adjoint, rows: length, columns: count, alpha: S(real: 1),
                                   v.baseAddress!, lda: length, xb.baseAddress!, beta: .zero, cb.baseAddress!)
                            S.gemv(.columnMajor, .none, rows: length, columns: count, alpha: S(real: -1),
                                   v.baseAddress!, lda: length, cb.baseAddress!, beta: S(real: 1), xb.baseAddress!)
                        }
                    }
                }
                for i in 0..<count { total[i] = total[i] + c[i] }
            }
            return total
        }

        /// A random unit vector orthogonal to the first `count` rows of `basis` (count < length).
        private func freshDirection(
            orthogonalTo basis: [S], count: Int, length: Int, using random: inout KRURandom
        ) -> [S] {
            while true {
                var x: [S] = randomUnitVector(count: length, using: &random)
                _ = orthogonalize(&x, against: basis, count: count, length: length)
                let (unit, norm) = normalized(x)
                if norm > 1e-8 { return unit }
            }
        }

        /// SVD of the leading order × order block of B: values descending, X (left, order × order row-major) and
        /// Y (right vectors as columns, order × order row-major, Y = (Vᴴ)ᴴ).
        private func smallSVD(
            _ b: [S], order: Int, stride: Int
        ) throws(KroneckerFactorizationError) -> (values: [Double], x: [S], y: [S]) {
            var block = [S](repeating: .zero, count: order * order)
            for i in 0..<order { for k in 0..<order { block[i * order + k] = b[i * stride + k] } }
            let (values, u, vt) = try block.withUnsafeMutableBufferPointer { a throws(KroneckerFactorizationError) in
                try S.thinSVD(a.baseAddress!, rows: order, columns: order)
            }
            var y = [S](repeating: .zero, count: order * order)
            for i in 0..<order { for k in 0..<order { y[i * order + k] = vt[k * order + i].conjugate } }
            return (values, u, y)
        }

        /// Rows i < keep of Cᵀ·basis, C = `coefficients` (rows indexed by basis vector, columns by Ritz vector):
        /// the Ritz vectors Σ_l C[l, i]·basis_l, as a keep × length row-major block.
        private func combine(
            _ basis: [S], rowsOf coefficients: [S], columnsStride: Int, keep: Int, length: Int
        ) -> [S] {
            let order = coefficients.count / columnsStride
            var result = [S](repeating: .zero, count: keep * length)
            coefficients.withUnsafeBufferPointer { c in
                basis.withUnsafeBufferPointer { v in
                    result.withUnsafeMutableBufferPointer { r in
                        S.gemm(.transpose, .none, m: keep, n: length, k: order, alpha: S(real: 1), c.baseAddress!,
                               lda: columnsStride, v.baseAddress!, ldb: length, beta: .zero, r.baseAddress!,
                               ldc: length)
                    }
                }
            }
            return result
        }
    }
}
