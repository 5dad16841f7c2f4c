/// Promotes split Float planes (one vector, `range` of each plane) to oracle complex numbers.
func oracleVector(real: [Float], imaginary: [Float]? = nil, _ range: Range<Int>) -> [OracleComplex] {
    range.map { k in OracleComplex(re: Double(real[k]), im: imaginary.map { Double($0[k]) } ?? 0) }
}

/// ‖actual − expected‖₂ / ‖expected‖₂, the norm-wise relative error (the right measure for Float
/// kernels: individual entries near zero can have large relative error without anything being wrong).
func relativeError(_ actual: [OracleComplex], _ expected: [OracleComplex]) -> Double {
    precondition(actual.count == expected.count)
    let difference = zip(actual, expected).reduce(0.0) { $0 + ($1.0 - $1.1).magnitudeSquared }
    let reference = expected.reduce(0.0) { $0 + $1.magnitudeSquared }
    return (difference / max(reference, .leastNormalMagnitude)).squareRoot()
}

/// ⟨a, b⟩ = Σ conj(a_k)·b_k.
func innerProduct(_ a: [OracleComplex], _ b: [OracleComplex]) -> OracleComplex {
    zip(a, b).reduce(OracleComplex.zero) { $0 + $1.0.conjugate * $1.1 }
}

func norm(_ a: [OracleComplex]) -> Double {
    a.reduce(0.0) { $0 + $1.magnitudeSquared }.squareRoot()
}

/// Float tolerance for norm-wise relative error: unit roundoff 6e-8 times Σ Q_f (≤ 30 here) leaves a
/// wide margin below 1e-5.
let floatTolerance = 1e-5
