/// One N×N recurrent block of a layer (spec/MODEL.md §3): dense, or a sum of Kronecker products that is
/// applied factor by factor without forming the matrix.
enum RecurrentBlock: Sendable {
    case realDense(DenseMatrix)
    case realKronecker([RealKroneckerOperator])
    case complexDense(ComplexDenseMatrix)
    case complexKronecker([ComplexKroneckerOperator])

    /// Scratch floats per plane and per vector that the Kronecker terms need.
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

    /// For each of `batch` vectors h_b (contiguous N-vectors in `h`), adds R·h_b to the N values of `y` starting
    /// at `b·stride + offset` (so a gate block can land inside a vector of stacked gates). `term` is scratch of
    /// at least batch × N floats for the Kronecker terms.
    func multiplyAdd(_ h: UnsafeBufferPointer<Float>, batch: Int, into y: UnsafeMutableBufferPointer<Float>,
                     stride: Int, offset: Int, term: UnsafeMutableBufferPointer<Float>, workspace: KroneckerWorkspace) {
        switch self {
        case .realDense(let matrix):
            let n = matrix.columns
            for b in 0..<batch {
                matrix.multiplyAdd(UnsafeBufferPointer(rebasing: h[b * n..<(b + 1) * n]),
                                   into: UnsafeMutableBufferPointer(rebasing: y[b * stride + offset..<b * stride + offset + n]))
            }
        case .realKronecker(let terms):
            let n = terms[0].shape.outputLength
            for op in terms {
                op.apply(h, into: term, batchSize: batch, workspace: workspace)
                for b in 0..<batch {
                    for k in 0..<n { y[b * stride + offset + k] += term[b * n + k] }
                }
            }
        case .complexDense, .complexKronecker:
            preconditionFailure("a complex block in a real cell; the loader prevents this")
        }
    }

    /// For each of `batch` complex vectors in split planes (`hr`, `hi`: batch × N each), adds R·h_b to the
    /// matching vectors of `yr`, `yi` (batch × N each). `termReal`/`termImaginary` are scratch of batch × N.
    func multiplyAdd(real hr: UnsafeBufferPointer<Float>, imaginary hi: UnsafeBufferPointer<Float>, batch: Int,
                     intoReal yr: UnsafeMutableBufferPointer<Float>, imaginary yi: UnsafeMutableBufferPointer<Float>,
                     termReal: UnsafeMutableBufferPointer<Float>, termImaginary: UnsafeMutableBufferPointer<Float>,
                     workspace: KroneckerWorkspace) {
        switch self {
        case .complexDense(let matrix):
            let n = matrix.columns
            for b in 0..<batch {
                let range = b * n..<(b + 1) * n
                matrix.multiplyAdd(real: UnsafeBufferPointer(rebasing: hr[range]), imaginary: UnsafeBufferPointer(rebasing: hi[range]),
                                   intoReal: UnsafeMutableBufferPointer(rebasing: yr[range]),
                                   imaginary: UnsafeMutableBufferPointer(rebasing: yi[range]))
            }
        case .complexKronecker(let terms):
            let count = batch * terms[0].shape.outputLength
            for op in terms {
                op.apply(inputReal: hr, inputImaginary: hi, outputReal: termReal, outputImaginary: termImaginary,
                         batchSize: batch, workspace: workspace)
                for i in 0..<count {
                    yr[i] += termReal[i]
                    yi[i] += termImaginary[i]
                }
            }
        case .realDense, .realKronecker:
            preconditionFailure("a real block in a complex cell; the loader prevents this")
        }
    }
}
