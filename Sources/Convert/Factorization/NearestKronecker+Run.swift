extension NearestKronecker {
    /// The largest input accepted, in entries (8192 × 8192). The factorization holds the input, its
    /// rearrangement and, for r > 1 with F > 2, a residual copy — three N² buffers of Doubles or Complexes.
    public static let maxEntryCount = 1 << 26

    /// The shared implementation behind the real and complex entry points.
    static func run<S: Scalar>(
        _ matrix: Matrix<S>, shapes: [FactorShape], rank: Int, options: Options, progress: ((Progress) -> Void)?
    ) throws(KroneckerFactorizationError) -> KroneckerFactorization<S> {
        try options.validate()
        try validate(matrix, shapes: shapes, rank: rank)
        let reporter = ProgressReporter(progress)
        defer { reporter.finish() }
        let order = shapes.count
        let modes = shapes.map(\.entryCount)

        // Work on A·2^−e with 2^e ≈ the largest entry: every algorithm is homogeneous, a power of two scales
        // exactly, and ‖A‖² can then neither overflow nor underflow whatever the input's magnitude.
        let largest = matrix.elements.reduce(0.0) { max($0, $1.largestComponent) }
        if order == 1 || largest == 0 {
            return trivialResult(matrix, shapes: shapes, rank: rank)
        }
        let exponent = max(-1000, min(1000, Int(largest.exponent)))
        let scale = Double(sign: .plus, exponent: -exponent, significand: 1)
        let rescale = Double(sign: .plus, exponent: exponent, significand: 1)

        reporter.begin(.rearranging, width: 0.02)
        let t = matrix.elements.withUnsafeBufferPointer {
            rearranged($0, rows: matrix.rows, columns: matrix.columns, shapes: shapes, scale: scale)
        }
        let normSquared = squaredNorm(t)
        let inputNorm = normSquared.squareRoot() * rescale

        return try t.withUnsafeBufferPointer { t throws(KroneckerFactorizationError) in
            if order == 2 {
                let (terms, triples) = try kroneckerSVD(
                    t, modes: modes, rank: rank, options: options, reporter: reporter)
                let error = residualNorm(t, modes: modes, terms: terms) * rescale
                let captured = triples.values.reduce(0) { $0 + $1 * $1 }
                return KroneckerFactorization(
                    shapes: shapes, terms: canonicalTerms(terms, shapes: shapes, rescale: rescale),
                    inputNorm: inputNorm, error: error, relativeError: error / inputNorm,
                    capturedEnergy: captured / normSquared,
                    optimalError: max(0, normSquared - captured).squareRoot() * rescale,
                    singularValues: triples.values.map { $0 * rescale }, startError: nil, lowerBound: nil,
                    iterations: triples.steps, converged: triples.converged, stationarityResidual: nil,
                    algorithm: .kroneckerSVD(triples.solver))
            }
            var lowerBound: Double? = nil
            if options.computeLowerBound {
                reporter.begin(.lowerBound, width: 0.1)
                lowerBound = try splitLowerBound(t, modes: modes, options: options, reporter: reporter) * rescale
            }
            let fit = try fitMultiFactor(t, modes: modes, rank: rank, options: options, reporter: reporter)
            let error = fit.error * rescale
            let relativeError = error / inputNorm
            let captured = rank == 1 ? fit.terms.scales[0] * fit.terms.scales[0] / normSquared
                : 1 - relativeError * relativeError
            return KroneckerFactorization(
                shapes: shapes, terms: canonicalTerms(fit.terms, shapes: shapes, rescale: rescale),
                inputNorm: inputNorm, error: error, relativeError: relativeError, capturedEnergy: captured,
                optimalError: nil, singularValues: nil, startError: fit.startError * rescale,
                lowerBound: lowerBound, iterations: fit.iterations, converged: fit.converged,
                stationarityResidual: fit.stationarity, algorithm: fit.algorithm)
        }
    }

    /// F = 1 (the factor is A itself) or A = 0 (all terms zero): exact, nothing to compute.
    private static func trivialResult<S: Scalar>(
        _ matrix: Matrix<S>, shapes: [FactorShape], rank: Int
    ) -> KroneckerFactorization<S> {
        let norm = squaredNorm(matrix.elements).squareRoot()
        let zeroTerm = KroneckerFactorization<S>.Term(
            factors: shapes.map {
                Matrix(rows: $0.rows, columns: $0.columns, elements: Array(repeating: .zero, count: $0.entryCount))
            },
            scale: 0)
        let first = norm > 0 ? KroneckerFactorization<S>.Term(factors: [matrix], scale: norm) : zeroTerm
        return KroneckerFactorization(
            shapes: shapes, terms: [first] + Array(repeating: zeroTerm, count: rank - 1), inputNorm: norm, error: 0,
            relativeError: 0, capturedEnergy: 1, optimalError: shapes.count == 2 ? 0 : nil,
            singularValues: shapes.count == 2 ? Array(repeating: 0, count: rank) : nil,
            startError: shapes.count > 2 ? 0 : nil, lowerBound: nil, iterations: 0, converged: true,
            stationarityResidual: nil, algorithm: .trivial)
    }

    /// Checks sizes, shapes, rank and finiteness before anything is allocated.
    private static func validate<S: Scalar>(
        _ matrix: Matrix<S>, shapes: [FactorShape], rank: Int
    ) throws(KroneckerFactorizationError) {
        guard matrix.rows >= 1, matrix.columns >= 1 else {
            throw .invalidMatrixSize(rows: matrix.rows, columns: matrix.columns)
        }
        let (count, overflow) = matrix.rows.multipliedReportingOverflow(by: matrix.columns)
        guard !overflow, count <= maxEntryCount else {
            throw .matrixTooLarge(entries: overflow ? Int.max : count, limit: maxEntryCount)
        }
        guard matrix.elements.count == count else {
            throw .elementCountMismatch(expected: count, actual: matrix.elements.count)
        }
        guard !shapes.isEmpty else { throw .noFactors }
        var rowProduct = 1
        var columnProduct = 1
        for (f, shape) in shapes.enumerated() {
            guard shape.rows >= 1, shape.columns >= 1 else {
                throw .invalidFactorShape(factor: f, rows: shape.rows, columns: shape.columns)
            }
            rowProduct = cappedProduct(rowProduct, shape.rows, cap: count)
            columnProduct = cappedProduct(columnProduct, shape.columns, cap: count)
        }
        guard rowProduct == matrix.rows, columnProduct == matrix.columns else {
            throw .shapeMismatch(
                rowProduct: rowProduct, columnProduct: columnProduct, rows: matrix.rows, columns: matrix.columns)
        }
        let modes = shapes.map(\.entryCount)
        let maximumRank = switch shapes.count {
        case 1: 1
        case 2: min(modes[0], modes[1])
        default: count / modes.max()!
        }
        guard rank >= 1, rank <= maximumRank else { throw .invalidRank(rank: rank, maximum: maximumRank) }
        if let bad = matrix.elements.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteEntry(row: bad / matrix.columns, column: bad % matrix.columns)
        }
    }

    /// a·b, or cap + 1 when it exceeds the cap or overflows: products beyond the matrix size cannot match anyway.
    private static func cappedProduct(_ a: Int, _ b: Int, cap: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow || product > cap ? cap + 1 : product
    }
}
