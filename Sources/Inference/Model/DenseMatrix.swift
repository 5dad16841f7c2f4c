/// A real row-major matrix, used for input weights, readouts and dense recurrent blocks.
struct DenseMatrix: Sendable {
    let rows: Int
    let columns: Int
    let values: [Float]

    init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns)
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// The rows `first ..< first + count` (a gate block of a stacked PyTorch matrix).
    func rowBlock(_ first: Int, count: Int) -> DenseMatrix {
        DenseMatrix(rows: count, columns: columns, values: Array(values[first * columns..<(first + count) * columns]))
    }

    /// y += W·x.
    func multiplyAdd(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        values.withUnsafeBufferPointer { w in
            for r in 0..<rows {
                y[r] += dot(w.baseAddress! + r * columns, x.baseAddress!, count: columns)
            }
        }
    }

    /// y += W[:, column]: the product with a one-hot vector, without forming it.
    func addColumn(_ column: Int, into y: UnsafeMutableBufferPointer<Float>) {
        values.withUnsafeBufferPointer { w in
            for r in 0..<rows { y[r] += w[r * columns + column] }
        }
    }
}

/// A complex row-major matrix in split planes.
struct ComplexDenseMatrix: Sendable {
    let real: DenseMatrix
    let imaginary: DenseMatrix

    var rows: Int { real.rows }
    var columns: Int { real.columns }

    /// y += W·x for a complex x in split planes: four real dot products per row, each vectorised.
    func multiplyAdd(real xr: UnsafeBufferPointer<Float>, imaginary xi: UnsafeBufferPointer<Float>,
                     intoReal yr: UnsafeMutableBufferPointer<Float>, imaginary yi: UnsafeMutableBufferPointer<Float>) {
        real.values.withUnsafeBufferPointer { wr in
            imaginary.values.withUnsafeBufferPointer { wi in
                for r in 0..<rows {
                    let rowR = wr.baseAddress! + r * columns, rowI = wi.baseAddress! + r * columns
                    yr[r] += dot(rowR, xr.baseAddress!, count: columns) - dot(rowI, xi.baseAddress!, count: columns)
                    yi[r] += dot(rowR, xi.baseAddress!, count: columns) + dot(rowI, xr.baseAddress!, count: columns)
                }
            }
        }
    }
}

/// Σ a[i]·b[i] with sixteen independent partial sums: a single running sum is a serial dependency chain that
/// the compiler may not reorder (floating-point addition is not associative), so it would not vectorise.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    let pa = UnsafeRawPointer(a), pb = UnsafeRawPointer(b)
    var low = SIMD8<Float>(repeating: 0), high = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 16 <= count {
        low += pa.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            * pb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
        high += pa.loadUnaligned(fromByteOffset: 4 * (i + 8), as: SIMD8<Float>.self)
            * pb.loadUnaligned(fromByteOffset: 4 * (i + 8), as: SIMD8<Float>.self)
        i += 16
    }
    var sum = (low + high).sum()
    while i < count {
        sum += a[i] * b[i]
        i += 1
    }
    return sum
}
