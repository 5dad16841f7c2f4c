/// One N×N recurrent block of a layer (spec/MODEL.md §3): dense, or a sum of Kronecker products that is
/// applied factor by factor without forming the matrix.
enum RecurrentBlock: Sendable {
    case realDense(DenseMatrix)
    case realKronecker([RealKroneckerOperator])
    case complexDense(ComplexDenseMatrix)
    case complexKronecker([ComplexKroneckerOperator])

    /// Scratch floats per plane the Kronecker terms need.
    var scratchElements: Int {
        switch self {
        case .realDense, .complexDense: 0
        case .realKronecker(let terms): terms.map(\.scratchElementsPerVector).max() ?? 0
        case .complexKronecker(let terms): terms.map(\.scratchElementsPerVector).max() ?? 0
        }
    }

    /// Recurrent parameters (real numbers) this block stores.
    var parameterCount: Int {
        switch self {
        case .realDense(let m): m.values.count
        case .complexDense(let m): 2 * m.real.values.count
        case .realKronecker(let terms): terms.reduce(0) { $0 + $1.factors.reduce(0) { $0 + $1.values.count } }
        case .complexKronecker(let terms): terms.reduce(0) { $0 + $1.factors.reduce(0) { $0 + 2 * $1.real.count } }
        }
    }

    /// y += R·h for a real block. `term` is scratch of length N for sums of several Kronecker terms.
    func multiplyAdd(_ h: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
                     term: UnsafeMutableBufferPointer<Float>, workspace: KroneckerWorkspace) {
        switch self {
        case .realDense(let matrix):
            matrix.multiplyAdd(h, into: y)
        case .realKronecker(let terms):
            for op in terms {
                op.apply(h, into: term, batchSize: 1, workspace: workspace)
                for i in 0..<y.count { y[i] += term[i] }
            }
        case .complexDense, .complexKronecker:
            preconditionFailure("a complex block in a real cell; the loader prevents this")
        }
    }

    /// y += R·h for a complex block, in split planes; `termReal`/`termImaginary` are scratch of length N.
    func multiplyAdd(real hr: UnsafeBufferPointer<Float>, imaginary hi: UnsafeBufferPointer<Float>,
                     intoReal yr: UnsafeMutableBufferPointer<Float>, imaginary yi: UnsafeMutableBufferPointer<Float>,
                     termReal: UnsafeMutableBufferPointer<Float>, termImaginary: UnsafeMutableBufferPointer<Float>,
                     workspace: KroneckerWorkspace) {
        switch self {
        case .complexDense(let matrix):
            matrix.multiplyAdd(real: hr, imaginary: hi, intoReal: yr, imaginary: yi)
        case .complexKronecker(let terms):
            for op in terms {
                op.apply(inputReal: hr, inputImaginary: hi, outputReal: termReal, outputImaginary: termImaginary,
                         batchSize: 1, workspace: workspace)
                for i in 0..<yr.count {
                    yr[i] += termReal[i]
                    yi[i] += termImaginary[i]
                }
            }
        case .realDense, .realKronecker:
            preconditionFailure("a real block in a complex cell; the loader prevents this")
        }
    }
}
