import KRUInference

/// Arithmetic the Double passes and the single-precision passes share, generic over the scalar.
enum PassArithmetic {
    /// Every row's input side of a real cell starts as b_ih + b_hh — without the GRU's b_hh[n], which sits inside
    /// r ⊙ (R_n h + b_hh[n]) — or as zero without biases.
    static func fillInputBiases<Scalar: BinaryFloatingPoint>(
        _ cell: ModelDescription.Cell, units n: Int, gates gn: Int, rows: Int,
        biases: (input: UnsafePointer<Scalar>,
                 recurrent: UnsafePointer<Scalar>)?, into out: UnsafeMutablePointer<Scalar>
    ) {
        guard let (bi, bh) = biases else {
            out.update(repeating: 0, count: rows * gn)
            return
        }
        let added = cell == .gru ? 2 * n : gn
        for k in 0..<gn { out[k] = bi[k] + (k < added ? bh[k] : 0) }
        for row in 1..<max(rows, 1) { (out + row * gn).update(from: out, count: gn) }
    }

    /// sum[k] += Σ_rows values[row·width + k] (a bias's gradient).
    /// `threads` workers take blocks of columns; every column still adds its rows in row order.
    static func addColumnSums<Scalar: BinaryFloatingPoint>(_ values: UnsafePointer<Scalar>, rows: Int, width: Int,
                                                           into sum: UnsafeMutablePointer<Scalar>, threads: Int = 1) {
        BatchPartition(batchSize: width, workers: threads).run { _, columns in
            for row in 0..<rows {
                let v = values + row * width
                for k in columns { sum[k] += v[k] }
            }
        }
    }

    /// table[tokens[row]] += rows[row] for every row (width values each): gradients of the embedding rows read.
    static func scatterRows<Scalar: BinaryFloatingPoint>(_ rows: UnsafePointer<Scalar>, tokens: [Int], width: Int,
                                                         into table: UnsafeMutablePointer<Scalar>) {
        for (row, token) in tokens.enumerated() {
            let (t, r) = (table + token * width, rows + row * width)
            for c in 0..<width { t[c] += r[c] }
        }
    }

    /// Adds the workers' private gradients in worker order, so the sum does not depend on thread timing.
    /// `threads` split the entries, not the workers: each entry still adds the workers in worker order.
    static func addInOrder<Scalar: BinaryFloatingPoint>(_ workers: [ScalarBuffer<Scalar>],
                                                        into gradient: ScalarBuffer<Scalar>, threads: Int = 1) {
        BatchPartition(batchSize: gradient.count, workers: threads).run { _, entries in
            for worker in workers {
                for i in entries { gradient[i] += worker[i] }
            }
        }
    }
}
