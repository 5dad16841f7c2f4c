import KRUInference

/// A complex number in Double, for the oracles only (the kernels under test run in Float).
struct OracleComplex: Equatable {
    var re: Double
    var im: Double

    static let zero = OracleComplex(re: 0, im: 0)
    static func + (a: Self, b: Self) -> Self { Self(re: a.re + b.re, im: a.im + b.im) }
    static func - (a: Self, b: Self) -> Self { Self(re: a.re - b.re, im: a.im - b.im) }
    static func * (a: Self, b: Self) -> Self {
        Self(re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re)
    }
    var conjugate: Self { Self(re: re, im: -im) }
    var magnitudeSquared: Double { re * re + im * im }
}

/// One factor promoted to Double complex (a real factor has zero imaginary parts).
struct OracleFactor {
    let rows: Int
    let columns: Int
    let entries: [OracleComplex]  // row-major

    init(_ factor: RealKroneckerFactor) {
        rows = factor.rows
        columns = factor.columns
        entries = factor.values.map { OracleComplex(re: Double($0), im: 0) }
    }

    init(_ factor: ComplexKroneckerFactor) {
        rows = factor.rows
        columns = factor.columns
        entries = zip(factor.real, factor.imaginary).map { OracleComplex(re: Double($0), im: Double($1)) }
    }

    subscript(p: Int, q: Int) -> OracleComplex { entries[p * columns + q] }
}

/// The explicit dense matrix of W_0 ⊗ … ⊗ W_{F−1}, built entry by entry from the definition
/// K[i, j] = ∏_f W_f[p_f, q_f], with (p_0 … p_{F−1}) the mixed-radix digits of i over the P_f and
/// (q_0 … q_{F−1}) those of j over the Q_f, factor 0 most significant (numpy.kron order).
///
/// Deliberately a different algorithm from the kernels (no mode products, no reshapes), in Double, and
/// only for N ≤ 256 where N² entries are cheap.
struct DenseKroneckerOracle {
    let rows: Int
    let columns: Int
    let entries: [OracleComplex]  // row-major rows × columns

    init(_ factors: [OracleFactor]) {
        rows = factors.reduce(1) { $0 * $1.rows }
        columns = factors.reduce(1) { $0 * $1.columns }
        var entries = [OracleComplex](repeating: .zero, count: rows * columns)
        for i in 0..<rows {
            for j in 0..<columns {
                // Peel digits from the least significant end: the last factor is the fastest digit.
                var rowRest = i, columnRest = j
                var product = OracleComplex(re: 1, im: 0)
                for factor in factors.reversed() {
                    let p = rowRest % factor.rows, q = columnRest % factor.columns
                    rowRest /= factor.rows
                    columnRest /= factor.columns
                    product = product * factor[p, q]
                }
                entries[i * columns + j] = product
            }
        }
        self.entries = entries
    }

    subscript(i: Int, j: Int) -> OracleComplex { entries[i * columns + j] }

    /// K·x for one vector of length `columns`.
    func times(_ x: [OracleComplex]) -> [OracleComplex] {
        (0..<rows).map { i in (0..<columns).reduce(OracleComplex.zero) { $0 + self[i, $1] * x[$1] } }
    }

    /// Kᴴ·y for one vector of length `rows`.
    func adjointTimes(_ y: [OracleComplex]) -> [OracleComplex] {
        (0..<columns).map { j in (0..<rows).reduce(OracleComplex.zero) { $0 + self[$1, j].conjugate * y[$1] } }
    }
}

/// The Kronecker product of vectors, v_0 ⊗ … ⊗ v_{F−1}, from the same digit formula: element i is
/// ∏_f v_f[d_f] with d_f the mixed-radix digits of i over the lengths.
func oracleKroneckerVector(_ vectors: [[OracleComplex]]) -> [OracleComplex] {
    let length = vectors.reduce(1) { $0 * $1.count }
    return (0..<length).map { i in
        var rest = i
        var product = OracleComplex(re: 1, im: 0)
        for v in vectors.reversed() {
            product = product * v[rest % v.count]
            rest /= v.count
        }
        return product
    }
}

/// W·x (or Wᴴ·x) for one small factor, in Double.
func oracleFactorTimes(_ w: OracleFactor, _ x: [OracleComplex], adjoint: Bool = false) -> [OracleComplex] {
    if adjoint {
        return (0..<w.columns).map { q in (0..<w.rows).reduce(OracleComplex.zero) { $0 + w[$1, q].conjugate * x[$1] } }
    }
    return (0..<w.rows).map { p in (0..<w.columns).reduce(OracleComplex.zero) { $0 + w[p, $1] * x[$1] } }
}
