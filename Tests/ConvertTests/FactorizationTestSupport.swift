import CLAPACK
import Foundation
import KRUConvert
import Testing

// Test oracles for the nearest-Kronecker factorization. Everything here is written independently of the library:
// its own generator (SplitMix64), an explicit entry-formula Kronecker product, the two-factor rearrangement from
// Van Loan's index formula, and singular values straight from LAPACK. All oracles work in complex arithmetic
// (real data has zero imaginary parts), so one set serves both entry points.

typealias FactorComplex = NearestKronecker.Complex
typealias FactorMatrix = NearestKronecker.Matrix<NearestKronecker.Complex>

/// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): the tests' one seeded generator, so failures reproduce.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (modulo bias is irrelevant for picking test positions).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Uniform in (0, 1).
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) * 0x1p-53 }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Double {
        (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
    }

    mutating func matrix(_ rows: Int, _ columns: Int, complex: Bool) -> FactorMatrix {
        FactorMatrix(
            rows: rows, columns: columns,
            elements: (0..<(rows * columns)).map { _ in FactorComplex(normal(), complex ? normal() : 0) })
    }

    /// A random unitary (complex) or orthogonal (real) n × n matrix: Gram–Schmidt on Gaussian columns.
    mutating func unitary(_ n: Int, complex: Bool) -> FactorMatrix {
        var q = matrix(n, n, complex: complex)
        for j in 0..<n {
            for _ in 0..<2 {
                for i in 0..<j {
                    var dot = FactorComplex.zero
                    for r in 0..<n { dot = dot + q[r, i].conjugate * q[r, j] }
                    for r in 0..<n { q[r, j] = q[r, j] - q[r, i] * dot }
                }
            }
            var norm = 0.0
            for r in 0..<n { norm += q[r, j].squaredMagnitude }
            for r in 0..<n { q[r, j] = q[r, j] * FactorComplex(1 / norm.squareRoot()) }
        }
        return q
    }
}

enum FactorizationOracle {
    /// (B ⊗ C)[p0·P1 + p1, q0·Q1 + q1] = B[p0, q0]·C[p1, q1] — numpy.kron.
    static func kron(_ b: FactorMatrix, _ c: FactorMatrix) -> FactorMatrix {
        var out = FactorMatrix(
            rows: b.rows * c.rows, columns: b.columns * c.columns,
            elements: Array(repeating: .zero, count: b.rows * c.rows * b.columns * c.columns))
        for p0 in 0..<b.rows {
            for q0 in 0..<b.columns {
                for p1 in 0..<c.rows {
                    for q1 in 0..<c.columns {
                        out[p0 * c.rows + p1, q0 * c.columns + q1] = b[p0, q0] * c[p1, q1]
                    }
                }
            }
        }
        return out
    }

    static func kron(_ factors: [FactorMatrix]) -> FactorMatrix {
        factors.dropFirst().reduce(factors[0]) { kron($0, $1) }
    }

    static func add(_ a: FactorMatrix, _ b: FactorMatrix, scale: Double = 1) -> FactorMatrix {
        FactorMatrix(
            rows: a.rows, columns: a.columns,
            elements: zip(a.elements, b.elements).map { $0 + $1 * FactorComplex(scale) })
    }

    static func scaled(_ a: FactorMatrix, by c: FactorComplex) -> FactorMatrix {
        FactorMatrix(rows: a.rows, columns: a.columns, elements: a.elements.map { $0 * c })
    }

    static func multiply(_ a: FactorMatrix, _ b: FactorMatrix) -> FactorMatrix {
        var out = FactorMatrix(
            rows: a.rows, columns: b.columns, elements: Array(repeating: .zero, count: a.rows * b.columns))
        for i in 0..<a.rows {
            for k in 0..<a.columns {
                let aik = a[i, k]
                for j in 0..<b.columns { out[i, j] = out[i, j] + aik * b[k, j] }
            }
        }
        return out
    }

    static func transpose(_ a: FactorMatrix) -> FactorMatrix {
        var out = FactorMatrix(rows: a.columns, columns: a.rows, elements: a.elements)
        for i in 0..<a.rows { for j in 0..<a.columns { out[j, i] = a[i, j] } }
        return out
    }

    static func conjugate(_ a: FactorMatrix) -> FactorMatrix {
        FactorMatrix(rows: a.rows, columns: a.columns, elements: a.elements.map(\.conjugate))
    }

    static func adjoint(_ a: FactorMatrix) -> FactorMatrix { conjugate(transpose(a)) }

    static func norm(_ a: FactorMatrix) -> Double {
        a.elements.reduce(0) { $0 + $1.squaredMagnitude }.squareRoot()
    }

    static func distance(_ a: FactorMatrix, _ b: FactorMatrix) -> Double {
        zip(a.elements, b.elements).reduce(0) { $0 + ($1.0 - $1.1).squaredMagnitude }.squareRoot()
    }

    /// |⟨a, b⟩| / (‖a‖‖b‖): 1 exactly when a and b are parallel up to a complex scale.
    static func parallelism(_ a: FactorMatrix, _ b: FactorMatrix) -> Double {
        var dot = FactorComplex.zero
        for (x, y) in zip(a.elements, b.elements) { dot = dot + x.conjugate * y }
        return dot.magnitude / (norm(a) * norm(b))
    }

    /// Van Loan's rearrangement, straight from the index formula R[p0·Q0 + q0, p1·Q1 + q1] = A[p0·P1 + p1, q0·Q1 + q1].
    static func rearrangement(_ a: FactorMatrix, _ s0: NearestKronecker.FactorShape, _ s1: NearestKronecker.FactorShape)
        -> FactorMatrix
    {
        var r = FactorMatrix(
            rows: s0.rows * s0.columns, columns: s1.rows * s1.columns,
            elements: Array(repeating: .zero, count: a.elements.count))
        for p0 in 0..<s0.rows {
            for q0 in 0..<s0.columns {
                for p1 in 0..<s1.rows {
                    for q1 in 0..<s1.columns {
                        r[p0 * s0.columns + q0, p1 * s1.columns + q1] = a[p0 * s1.rows + p1, q0 * s1.columns + q1]
                    }
                }
            }
        }
        return r
    }

    /// All singular values of a (small) matrix, descending. Computed from the real embedding
    /// [[Re A, −Im A], [Im A, Re A]], whose singular values are those of A, each twice, with LAPACK `dgesvd` (no
    /// vectors). Why not `zgesvd`: OpenBLAS 0.3.21's zgemv kernel over-reads (see the library's OpenBLASWorkaround),
    /// and a real route keeps this oracle independent of the library's complex code path anyway.
    static func singularValues(_ a: FactorMatrix) -> [Double] {
        let (m, n) = (2 * a.rows, 2 * a.columns)
        var embedding = [Double](repeating: 0, count: m * n)
        for i in 0..<a.rows {
            for j in 0..<a.columns {
                let z = a[i, j]
                embedding[i * n + j] = z.real
                embedding[i * n + j + a.columns] = -z.imaginary
                embedding[(i + a.rows) * n + j] = z.imaginary
                embedding[(i + a.rows) * n + j + a.columns] = z.real
            }
        }
        let k = min(m, n)
        var s = [Double](repeating: 0, count: k)
        var superb = [Double](repeating: 0, count: max(1, k - 1))
        let info = LAPACKE_dgesvd(
            LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), Int32(m), Int32(n), &embedding,
            Int32(n), &s, nil, 1, nil, 1, &superb)
        precondition(info == 0, "dgesvd failed: \(info)")
        return stride(from: 0, to: k, by: 2).map { s[$0] }
    }

    /// √(Σ_{k>r} σ_k²) of the two-factor rearrangement: the optimal r-term error (Eckart–Young).
    static func svdTail(_ a: FactorMatrix, shapes: [NearestKronecker.FactorShape], rank: Int) -> Double {
        singularValues(rearrangement(a, shapes[0], shapes[1])).dropFirst(rank).reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    static func real(_ a: FactorMatrix) -> NearestKronecker.Matrix<Double> {
        .init(rows: a.rows, columns: a.columns, elements: a.elements.map(\.real))
    }

    static func complex(_ a: NearestKronecker.Matrix<Double>) -> FactorMatrix {
        .init(rows: a.rows, columns: a.columns, elements: a.elements.map { FactorComplex($0) })
    }
}

/// One factorization result seen through complex matrices, whichever entry point produced it.
struct FactorizationSummary {
    var terms: [[FactorMatrix]]
    var scales: [Double]
    var error: Double
    var relativeError: Double
    var capturedEnergy: Double
    var optimalError: Double?
    var singularValues: [Double]?
    var startError: Double?
    var lowerBound: Double?
    var iterations: Int
    var converged: Bool
    var stationarity: Double?
    var inputNorm: Double
    var algorithm: String

    init<E>(_ r: KroneckerFactorization<E>, convert: (NearestKronecker.Matrix<E>) -> FactorMatrix) {
        terms = r.terms.map { $0.factors.map(convert) }
        scales = r.terms.map(\.scale)
        error = r.error
        relativeError = r.relativeError
        capturedEnergy = r.capturedEnergy
        optimalError = r.optimalError
        singularValues = r.singularValues
        startError = r.startError
        lowerBound = r.lowerBound
        iterations = r.iterations
        converged = r.converged
        stationarity = r.stationarityResidual
        inputNorm = r.inputNorm
        algorithm = "\(r.algorithm)"
    }

    /// Σ_k ⊗_f W_f^(k), formed explicitly.
    var reconstruction: FactorMatrix {
        terms.dropFirst().reduce(FactorizationOracle.kron(terms[0])) {
            FactorizationOracle.add($0, FactorizationOracle.kron($1))
        }
    }

    var factors: [FactorMatrix] { terms[0] }
}

/// Factorizes through the real entry point when `complex` is false (the data must then be real), else the
/// complex one.
func factorizeForTest(
    _ a: FactorMatrix, complex: Bool, shapes: [NearestKronecker.FactorShape], rank: Int = 1,
    options: NearestKronecker.Options = .init()
) throws -> FactorizationSummary {
    if complex {
        return FactorizationSummary(
            try NearestKronecker.factorize(a, shapes: shapes, rank: rank, options: options), convert: { $0 })
    }
    return FactorizationSummary(
        try NearestKronecker.factorize(FactorizationOracle.real(a), shapes: shapes, rank: rank, options: options),
        convert: FactorizationOracle.complex)
}

/// Shapes from (P, Q) pairs.
func factorShapes(_ pairs: [(Int, Int)]) -> [NearestKronecker.FactorShape] {
    pairs.map { NearestKronecker.FactorShape(rows: $0.0, columns: $0.1) }
}
