import CLAPACK
import KRUInference

/// Complex Double: BLAS `z…` and LAPACK `z…` routines. Swift does not import C `_Complex`, so LAPACKE takes
/// `OpaquePointer`s and CBLAS `void *`s; ``NearestKronecker/Complex`` arrays are interleaved (re, im) Doubles,
/// which is exactly the memory those routines expect.
extension NearestKronecker.Complex: NearestKronecker.Scalar {
    init(real: Double) { self.init(real, 0) }
    var realPart: Double { real }
    var largestComponent: Double { max(abs(real), abs(imaginary)) }
    var isFinite: Bool { real.isFinite && imaginary.isFinite }
    func scaled(by factor: Double) -> NearestKronecker.Complex { .init(real * factor, imaginary * factor) }

    static func standardNormal(using random: inout KRURandom) -> NearestKronecker.Complex {
        let (a, b) = random.nextStandardNormalPair()
        return .init(a, b)
    }

    static func gemv(
        _ order: NearestKronecker.BLASOrder, _ transpose: NearestKronecker.BLASTranspose, rows m: Int, columns n: Int,
        alpha: Self, _ a: UnsafePointer<Self>, lda: Int, _ x: UnsafePointer<Self>, beta: Self,
        _ y: UnsafeMutablePointer<Self>
    ) {
        var alpha = alpha
        var beta = beta
        // OpenBLAS 0.3.21 (Debian bookworm) zgemv_n/zgemv_r kernels read one element past the end of x: column-major
        // no-transpose and row-major (conjugate-)transpose reach them. See ``NearestKronecker/OpenBLASWorkaround``.
        let overreadsX = order == .columnMajor ? transpose == .none : transpose != .none
        guard overreadsX else {
            cblas_zgemv(order.cblas, transpose.cblas, Int32(m), Int32(n), &alpha, a, Int32(lda), x, 1, &beta, y, 1)
            return
        }
        let length = order == .columnMajor ? n : m
        var padded = [Self](repeating: .zero, count: length + NearestKronecker.OpenBLASWorkaround.vectorPadding)
        padded.withUnsafeMutableBufferPointer { p in
            p.baseAddress!.update(from: x, count: length)
            cblas_zgemv(
                order.cblas, transpose.cblas, Int32(m), Int32(n), &alpha, a, Int32(lda), p.baseAddress!, 1, &beta,
                y, 1)
        }
    }

    static func gemm(
        _ transposeA: NearestKronecker.BLASTranspose, _ transposeB: NearestKronecker.BLASTranspose,
        m: Int, n: Int, k: Int, alpha: Self, _ a: UnsafePointer<Self>, lda: Int, _ b: UnsafePointer<Self>,
        ldb: Int, beta: Self, _ c: UnsafeMutablePointer<Self>, ldc: Int
    ) {
        var alpha = alpha
        var beta = beta
        cblas_zgemm(
            CblasRowMajor, transposeA.cblas, transposeB.cblas, Int32(m), Int32(n), Int32(k), &alpha, a,
            Int32(lda), b, Int32(ldb), &beta, c, Int32(ldc))
    }

    static func gramUpper(
        _ a: UnsafePointer<Self>, rows m: Int, columns n: Int, ofRows: Bool, into c: UnsafeMutablePointer<Self>
    ) {
        if ofRows {
            cblas_zherk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(m), Int32(n), 1, a, Int32(n), 0, c, Int32(m))
        } else {
            cblas_zherk(
                CblasRowMajor, CblasUpper, CblasConjTrans, Int32(n), Int32(m), 1, a, Int32(n), 0, c, Int32(n))
        }
    }

    // The LAPACK wrappers below call the column-major `LAPACKE_z…_work` routines on padded copies, never the
    // convenience routines: those transpose into exactly sized temporaries and allocate exactly sized workspaces,
    // where LAPACK's own strided zgemv calls can read past a page end (``NearestKronecker/OpenBLASWorkaround``).

    static func largestEigenpairs(
        _ a: UnsafeMutablePointer<Self>, order n: Int, count: Int
    ) throws(KroneckerFactorizationError) -> (values: [Double], vectors: [Self]) {
        precondition(layoutIsInterleaved)
        let workaround = NearestKronecker.OpenBLASWorkaround.self
        // A Hermitian matrix's column-major storage is its conjugate; copy explicitly rather than rely on that.
        var matrix = workaround.columnMajorCopy(a, rows: n, columns: n)
        var z = workaround.paddedArray(Self.zero, count: n * count, leading: n)
        var found: Int32 = 0
        var w = [Double](repeating: 0, count: n)
        var support = [Int32](repeating: 0, count: 2 * max(1, count))
        let call = { (work: UnsafeMutablePointer<Self>, lwork: Int32, rwork: UnsafeMutablePointer<Double>,
                      lrwork: Int32, iwork: UnsafeMutablePointer<Int32>, liwork: Int32) -> Int32 in
            matrix.withUnsafeMutableBufferPointer { ab in
                z.withUnsafeMutableBufferPointer { zb in
                    LAPACKE_zheevr_work(
                        LAPACK_COL_MAJOR, NearestKronecker.LAPACKChar.v, NearestKronecker.LAPACKChar.i,
                        NearestKronecker.LAPACKChar.u, Int32(n), OpaquePointer(ab.baseAddress), Int32(n), 0, 0,
                        Int32(n - count + 1), Int32(n), 0, &found, &w, OpaquePointer(zb.baseAddress), Int32(n),
                        &support, OpaquePointer(work), lwork, rwork, lrwork, iwork, liwork)
                }
            }
        }
        var workSize = Self.zero
        var rworkSize = 0.0
        var iworkSize: Int32 = 0
        var info = call(&workSize, -1, &rworkSize, -1, &iworkSize, -1)
        if info == 0 {
            var work = workaround.paddedArray(Self.zero, count: max(1, Int(workSize.real)), leading: 1)
            var rwork = [Double](repeating: 0, count: max(1, Int(rworkSize)))
            var iwork = [Int32](repeating: 0, count: max(1, Int(iworkSize)))
            info = call(&work, Int32(Int(workSize.real)), &rwork, Int32(Int(rworkSize)), &iwork, iworkSize)
        }
        guard info == 0, found == Int32(count) else {
            throw .lapackFailure(routine: "zheevr", info: Int(info == 0 ? -999 : info))
        }
        return (Array(w.prefix(count)), workaround.rowMajor(z, rows: n, columns: count, leading: n))
    }

    static func topSingularTriplesLAPACK(
        _ a: UnsafeMutablePointer<Self>, rows m: Int, columns n: Int, count: Int
    ) throws(KroneckerFactorizationError) -> (values: [Double], u: [Self], vt: [Self]) {
        precondition(layoutIsInterleaved)
        let workaround = NearestKronecker.OpenBLASWorkaround.self
        let k = min(m, n)
        var matrix = workaround.columnMajorCopy(a, rows: m, columns: n)
        var u = workaround.paddedArray(Self.zero, count: m * count, leading: m)
        var vt = workaround.paddedArray(Self.zero, count: count * n, leading: count)
        var found: Int32 = 0
        var s = [Double](repeating: 0, count: k)
        // LAPACK's documented real workspace for zgesvdx, as LAPACKE_zgesvdx allocates it.
        var rwork = [Double](repeating: 0, count: max(1, k * (2 * k + 15 * k)))
        var iwork = [Int32](repeating: 0, count: 12 * k)
        let call = { (work: UnsafeMutablePointer<Self>, lwork: Int32) -> Int32 in
            matrix.withUnsafeMutableBufferPointer { ab in
                u.withUnsafeMutableBufferPointer { ub in
                    vt.withUnsafeMutableBufferPointer { vb in
                        LAPACKE_zgesvdx_work(
                            LAPACK_COL_MAJOR, NearestKronecker.LAPACKChar.v, NearestKronecker.LAPACKChar.v,
                            NearestKronecker.LAPACKChar.i, Int32(m), Int32(n), OpaquePointer(ab.baseAddress), Int32(m),
                            0, 0, 1, Int32(count), &found, &s, OpaquePointer(ub.baseAddress), Int32(m),
                            OpaquePointer(vb.baseAddress), Int32(count), OpaquePointer(work), lwork, &rwork, &iwork)
                    }
                }
            }
        }
        var workSize = Self.zero
        var info = call(&workSize, -1)
        if info == 0 {
            var work = workaround.paddedArray(Self.zero, count: max(1, Int(workSize.real)), leading: 1)
            info = call(&work, Int32(Int(workSize.real)))
        }
        guard info == 0, found == Int32(count) else {
            throw .lapackFailure(routine: "zgesvdx", info: Int(info == 0 ? -999 : info))
        }
        return (
            Array(s.prefix(count)), workaround.rowMajor(u, rows: m, columns: count, leading: m),
            workaround.rowMajor(vt, rows: count, columns: n, leading: count)
        )
    }

    static func thinSVD(
        _ a: UnsafeMutablePointer<Self>, rows m: Int, columns n: Int
    ) throws(KroneckerFactorizationError) -> (values: [Double], u: [Self], vt: [Self]) {
        precondition(layoutIsInterleaved)
        let workaround = NearestKronecker.OpenBLASWorkaround.self
        let k = min(m, n)
        var matrix = workaround.columnMajorCopy(a, rows: m, columns: n)
        var u = workaround.paddedArray(Self.zero, count: m * k, leading: m)
        var vt = workaround.paddedArray(Self.zero, count: k * n, leading: k)
        var s = [Double](repeating: 0, count: k)
        var rwork = [Double](repeating: 0, count: max(1, 5 * k))
        let call = { (work: UnsafeMutablePointer<Self>, lwork: Int32) -> Int32 in
            matrix.withUnsafeMutableBufferPointer { ab in
                u.withUnsafeMutableBufferPointer { ub in
                    vt.withUnsafeMutableBufferPointer { vb in
                        LAPACKE_zgesvd_work(
                            LAPACK_COL_MAJOR, NearestKronecker.LAPACKChar.s, NearestKronecker.LAPACKChar.s, Int32(m),
                            Int32(n), OpaquePointer(ab.baseAddress), Int32(m), &s, OpaquePointer(ub.baseAddress),
                            Int32(m), OpaquePointer(vb.baseAddress), Int32(k), OpaquePointer(work), lwork, &rwork)
                    }
                }
            }
        }
        var workSize = Self.zero
        var info = call(&workSize, -1)
        if info == 0 {
            var work = workaround.paddedArray(Self.zero, count: max(1, Int(workSize.real)), leading: 1)
            info = call(&work, Int32(Int(workSize.real)))
        }
        guard info == 0 else { throw .lapackFailure(routine: "zgesvd", info: Int(info)) }
        return (
            s, workaround.rowMajor(u, rows: m, columns: k, leading: m),
            workaround.rowMajor(vt, rows: k, columns: n, leading: k)
        )
    }
}
