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
                var sum: Float = 0
                let row = r * columns
                for c in 0..<columns { sum += w[row + c] * x[c] }
                y[r] += sum
            }
        }
    }

    /// y += W[:, column] · scale: the product with a scaled one-hot vector, without forming it.
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

    /// y += W·x for a complex x in split planes.
    func multiplyAdd(real xr: UnsafeBufferPointer<Float>, imaginary xi: UnsafeBufferPointer<Float>,
                     intoReal yr: UnsafeMutableBufferPointer<Float>, imaginary yi: UnsafeMutableBufferPointer<Float>) {
        real.values.withUnsafeBufferPointer { wr in
            imaginary.values.withUnsafeBufferPointer { wi in
                for r in 0..<rows {
                    var sr: Float = 0, si: Float = 0
                    let row = r * columns
                    for c in 0..<columns {
                        sr += wr[row + c] * xr[c] - wi[row + c] * xi[c]
                        si += wr[row + c] * xi[c] + wi[row + c] * xr[c]
                    }
                    yr[r] += sr
                    yi[r] += si
                }
            }
        }
    }

    /// y += W·x for a real x.
    func multiplyAddReal(_ x: UnsafeBufferPointer<Float>, intoReal yr: UnsafeMutableBufferPointer<Float>,
                         imaginary yi: UnsafeMutableBufferPointer<Float>) {
        real.multiplyAdd(x, into: yr)
        imaginary.multiplyAdd(x, into: yi)
    }
}
