import CInferenceKernels

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

    /// y_b = W·x_b (or y_b += W·x_b when `accumulate`) for `batch` vectors x_b at `x + b·xStride`, results at
    /// `y + b·yStride`, in the C dense kernel: each row's dot product is summed in the order docs/ENGINE.md
    /// defines, whatever the batch size, instruction set or `team` (which shares a large product's rows).
    func multiply(
        _ x: UnsafePointer<Float>, xStride: Int, batch: Int, into y: UnsafeMutablePointer<Float>, yStride: Int,
        accumulate: Bool, variant: KernelVariant, team: WorkerTeam? = nil
    ) {
        values.withUnsafeBufferPointer { w in
            if let team, WorkerTeam.shares(multiplyAdds: rows * columns * batch) {
                team.multiply(weightKind: Int32(KRU_WEIGHTS_FLOAT), rows: rows, columns: columns,
                              weights: w.baseAddress!, batch: batch, x: x, xStride: xStride, y: y, yStride: yStride,
                              accumulate: accumulate, variant: variant)
            } else {
                kru_dense_multiply(variant.rawValue, rows, columns, w.baseAddress, batch, x, xStride, y, yStride,
                                   accumulate ? 1 : 0)
            }
        }
    }

    /// y += W[:, column]: the product with a one-hot vector, without forming it.
    func addColumn(_ column: Int, into y: UnsafeMutablePointer<Float>) {
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

    /// y_b += W·x_b for `batch` complex vectors in split planes (contiguous, `columns` each; results contiguous,
    /// `rows` each): y_r += (W_r·x_r − W_i·x_i), y_i += (W_r·x_i + W_i·x_r), four real products per stream.
    /// `first` and `second` are scratch of batch × rows floats.
    func multiplyAdd(
        real xr: UnsafePointer<Float>, imaginary xi: UnsafePointer<Float>, batch: Int,
        intoReal yr: UnsafeMutablePointer<Float>, imaginary yi: UnsafeMutablePointer<Float>,
        first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>, variant: KernelVariant,
        team: WorkerTeam?
    ) {
        let count = batch * rows
        func products(_ a: DenseMatrix, _ x: UnsafePointer<Float>, _ b: DenseMatrix, _ z: UnsafePointer<Float>) {
            a.multiply(x, xStride: columns, batch: batch, into: first, yStride: rows, accumulate: false,
                       variant: variant, team: team)
            b.multiply(z, xStride: columns, batch: batch, into: second, yStride: rows, accumulate: false,
                       variant: variant, team: team)
        }
        products(real, xr, imaginary, xi)
        for i in 0..<count { yr[i] += first[i] - second[i] }
        products(real, xi, imaginary, xr)
        for i in 0..<count { yi[i] += first[i] + second[i] }
    }
}
