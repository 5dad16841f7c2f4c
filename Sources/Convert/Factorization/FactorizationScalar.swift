import KRUInference

extension NearestKronecker {
    /// What the factorization algorithms need from a number type. `Double` and ``Complex`` conform.
    ///
    /// Why a protocol: one implementation of every algorithm serves real and complex input; with whole-module
    /// optimisation (release builds) the generic code is specialised for both, so inner loops see concrete types.
    /// The BLAS/LAPACK requirements route to the `d…` or `z…` routine.
    protocol Scalar: Hashable, Sendable {
        static var zero: Self { get }
        init(real: Double)
        static func + (lhs: Self, rhs: Self) -> Self
        static func - (lhs: Self, rhs: Self) -> Self
        static func * (lhs: Self, rhs: Self) -> Self
        static prefix func - (operand: Self) -> Self
        var conjugate: Self { get }
        var squaredMagnitude: Double { get }
        var realPart: Double { get }
        var isFinite: Bool { get }
        /// max(|re|, |im|): a magnitude that cannot overflow, for scaling the input.
        var largestComponent: Double { get }
        func scaled(by factor: Double) -> Self
        /// One standard-normal draw (complex: independent real and imaginary parts, each N(0, 1)).
        static func standardNormal(using random: inout KRURandom) -> Self

        /// y ← α·op(A)·x + β·y for an m × n matrix A (`order` says how A is stored).
        static func gemv(
            _ order: BLASOrder, _ transpose: BLASTranspose, rows m: Int, columns n: Int, alpha: Self,
            _ a: UnsafePointer<Self>, lda: Int, _ x: UnsafePointer<Self>, beta: Self, _ y: UnsafeMutablePointer<Self>)
        /// C ← α·op(A)·op(B) + β·C, row-major; C is m × n, the inner dimension k.
        static func gemm(
            _ transposeA: BLASTranspose, _ transposeB: BLASTranspose, m: Int, n: Int, k: Int, alpha: Self,
            _ a: UnsafePointer<Self>, lda: Int, _ b: UnsafePointer<Self>, ldb: Int, beta: Self,
            _ c: UnsafeMutablePointer<Self>, ldc: Int)
        /// The upper triangle of A·Aᴴ (`ofRows`, m × m) or Aᴴ·A (n × n) of a row-major m × n matrix A.
        static func gramUpper(
            _ a: UnsafePointer<Self>, rows m: Int, columns n: Int, ofRows: Bool, into c: UnsafeMutablePointer<Self>)
        /// The `count` largest eigenpairs of a Hermitian n × n row-major matrix (both triangles filled; destroyed):
        /// eigenvalues ascending as LAPACK returns them, eigenvectors as the columns of an n × count row-major matrix.
        static func largestEigenpairs(
            _ a: UnsafeMutablePointer<Self>, order n: Int, count: Int
        ) throws(KroneckerFactorizationError) -> (values: [Double], vectors: [Self])
        /// The top `count` singular triples of a row-major m × n matrix (destroyed) by `?gesvdx`:
        /// values descending, U as m × count row-major, Vᴴ as count × n row-major.
        static func topSingularTriplesLAPACK(
            _ a: UnsafeMutablePointer<Self>, rows m: Int, columns n: Int, count: Int
        ) throws(KroneckerFactorizationError) -> (values: [Double], u: [Self], vt: [Self])
        /// Full thin SVD of a small row-major m × n matrix (destroyed) by `?gesvd`: k = min(m, n) values descending,
        /// U as m × k row-major, Vᴴ as k × n row-major.
        static func thinSVD(
            _ a: UnsafeMutablePointer<Self>, rows m: Int, columns n: Int
        ) throws(KroneckerFactorizationError) -> (values: [Double], u: [Self], vt: [Self])
    }

    /// Storage order of a matrix handed to BLAS.
    enum BLASOrder { case rowMajor, columnMajor }

    /// op(A) for BLAS: A, Aᵀ, or Aᴴ (= Aᵀ for real A).
    enum BLASTranspose { case none, transpose, adjoint }
}

extension NearestKronecker.Scalar {
    /// A unit-modulus number φ with x = |x|·φ (1 for x = 0): the sign of a real number, the phase of a complex one.
    var phase: Self {
        let m = squaredMagnitude.squareRoot()
        return m > 0 ? scaled(by: 1 / m) : Self(real: 1)
    }
}

/// Helpers over buffers of scalars shared by all algorithms.
extension NearestKronecker {
    /// Σ|x_i|².
    static func squaredNorm<S: Scalar>(_ x: UnsafeBufferPointer<S>) -> Double {
        var sum = 0.0
        for value in x { sum += value.squaredMagnitude }
        return sum
    }

    static func squaredNorm<S: Scalar>(_ x: [S]) -> Double {
        x.withUnsafeBufferPointer { squaredNorm($0) }
    }

    /// ⟨x, y⟩ = Σ conj(x_i)·y_i.
    static func inner<S: Scalar>(_ x: [S], _ y: [S]) -> S {
        var sum = S.zero
        for i in x.indices { sum = sum + x[i].conjugate * y[i] }
        return sum
    }

    /// x/‖x‖ and ‖x‖; a zero vector gives (e_0, 0) so callers always hold a unit direction.
    static func normalized<S: Scalar>(_ x: [S]) -> (unit: [S], norm: Double) {
        let norm = squaredNorm(x).squareRoot()
        guard norm > 0 else {
            var e = [S](repeating: .zero, count: x.count)
            if !e.isEmpty { e[0] = S(real: 1) }
            return (e, 0)
        }
        return (x.map { $0.scaled(by: 1 / norm) }, norm)
    }

    /// A unit vector with standard-normal entries (direction uniform on the sphere).
    static func randomUnitVector<S: Scalar>(count: Int, using random: inout KRURandom) -> [S] {
        var v = [S]()
        v.reserveCapacity(count)
        for _ in 0..<count { v.append(S.standardNormal(using: &random)) }
        return normalized(v).unit
    }
}
