import CLAPACK
import KRUInference

/// Real Double: BLAS `d…` and LAPACK `d…` routines; conjugation is the identity. The row-major LAPACKE convenience
/// routines are safe here: guard-page probes of `dgesvd`, `dgesvdx`, `dsyevr` and every `dgemv`/`dsyrk` form used
/// found no out-of-bounds access (unlike the complex kernels, see ``NearestKronecker/OpenBLASWorkaround``).
extension Double: NearestKronecker.Scalar {
    init(real: Double) { self = real }
    var conjugate: Double { self }
    var squaredMagnitude: Double { self * self }
    var realPart: Double { self }
    var largestComponent: Double { abs(self) }
    func scaled(by factor: Double) -> Double { self * factor }

    static func standardNormal(using random: inout KRURandom) -> Double {
        random.nextStandardNormalPair().0
    }

    static func gemv(
        _ order: NearestKronecker.BLASOrder, _ transpose: NearestKronecker.BLASTranspose, rows m: Int, columns n: Int,
        alpha: Double, _ a: UnsafePointer<Double>, lda: Int, _ x: UnsafePointer<Double>, beta: Double,
        _ y: UnsafeMutablePointer<Double>
    ) {
        cblas_dgemv(
            order.cblas, transpose.cblas, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    static func gemm(
        _ transposeA: NearestKronecker.BLASTranspose, _ transposeB: NearestKronecker.BLASTranspose,
        m: Int, n: Int, k: Int, alpha: Double, _ a: UnsafePointer<Double>, lda: Int, _ b: UnsafePointer<Double>,
        ldb: Int, beta: Double, _ c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, transposeA.cblas, transposeB.cblas, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda),
            b, Int32(ldb), beta, c, Int32(ldc))
    }

    static func gramUpper(
        _ a: UnsafePointer<Double>, rows m: Int, columns n: Int, ofRows: Bool, into c: UnsafeMutablePointer<Double>
    ) {
        if ofRows {
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(m), Int32(n), 1, a, Int32(n), 0, c, Int32(m))
        } else {
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(m), 1, a, Int32(n), 0, c, Int32(n))
        }
    }

    static func largestEigenpairs(
        _ a: UnsafeMutablePointer<Double>, order n: Int, count: Int
    ) throws(KroneckerFactorizationError) -> (values: [Double], vectors: [Double]) {
        var found: Int32 = 0
        var w = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * count)
        var support = [Int32](repeating: 0, count: 2 * max(1, count))
        let job = NearestKronecker.LAPACKChar.self
        let info = LAPACKE_dsyevr(
            LAPACK_ROW_MAJOR, job.v, job.i, job.u, Int32(n), a, Int32(n), 0, 0, Int32(n - count + 1), Int32(n), 0,
            &found, &w, &z, Int32(count), &support)
        guard info == 0, found == Int32(count) else {
            throw .lapackFailure(routine: "dsyevr", info: Int(info == 0 ? -999 : info))
        }
        return (Array(w.prefix(count)), z)
    }

    static func topSingularTriplesLAPACK(
        _ a: UnsafeMutablePointer<Double>, rows m: Int, columns n: Int, count: Int
    ) throws(KroneckerFactorizationError) -> (values: [Double], u: [Double], vt: [Double]) {
        var found: Int32 = 0
        var s = [Double](repeating: 0, count: min(m, n))
        var u = [Double](repeating: 0, count: m * count)
        var vt = [Double](repeating: 0, count: count * n)
        var superb = [Int32](repeating: 0, count: 12 * min(m, n))
        let job = NearestKronecker.LAPACKChar.self
        let info = LAPACKE_dgesvdx(
            LAPACK_ROW_MAJOR, job.v, job.v, job.i, Int32(m), Int32(n), a, Int32(n), 0, 0, 1, Int32(count), &found,
            &s, &u, Int32(count), &vt, Int32(n), &superb)
        guard info == 0, found == Int32(count) else {
            throw .lapackFailure(routine: "dgesvdx", info: Int(info == 0 ? -999 : info))
        }
        return (Array(s.prefix(count)), u, vt)
    }

    static func thinSVD(
        _ a: UnsafeMutablePointer<Double>, rows m: Int, columns n: Int
    ) throws(KroneckerFactorizationError) -> (values: [Double], u: [Double], vt: [Double]) {
        let k = min(m, n)
        var s = [Double](repeating: 0, count: k)
        var u = [Double](repeating: 0, count: m * k)
        var vt = [Double](repeating: 0, count: k * n)
        var superb = [Double](repeating: 0, count: max(1, k - 1))
        let job = NearestKronecker.LAPACKChar.self
        let info = LAPACKE_dgesvd(
            LAPACK_ROW_MAJOR, job.s, job.s, Int32(m), Int32(n), a, Int32(n), &s, &u, Int32(k), &vt, Int32(n), &superb)
        guard info == 0 else { throw .lapackFailure(routine: "dgesvd", info: Int(info)) }
        return (s, u, vt)
    }
}

extension NearestKronecker {
    /// LAPACK's one-character job arguments.
    enum LAPACKChar {
        static let v = CChar(UInt8(ascii: "V"))
        static let i = CChar(UInt8(ascii: "I"))
        static let u = CChar(UInt8(ascii: "U"))
        static let s = CChar(UInt8(ascii: "S"))
    }
}

extension NearestKronecker.BLASOrder {
    var cblas: CBLAS_ORDER { self == .rowMajor ? CblasRowMajor : CblasColMajor }
}

extension NearestKronecker.BLASTranspose {
    var cblas: CBLAS_TRANSPOSE {
        switch self {
        case .none: return CblasNoTrans
        case .transpose: return CblasTrans
        case .adjoint: return CblasConjTrans
        }
    }
}
