import CInferenceKernels

/// One mode product: the current tensor, viewed as L × Q × R (row-major), becomes L × P × R with
/// y[a, p, b] = Σ_q W[p, q] · x[a, q, b]. This applies I_L ⊗ W ⊗ I_R, one term of Davio's factorisation
/// ⊗W_f = ∏_f (I ⊗ W_f ⊗ I).
struct KroneckerModePass: Sendable, Equatable {
    /// Which factor this pass applies (its position in the factor list).
    let factor: Int
    /// P: rows of the matrix applied (for the adjoint, the factor's column count).
    let rows: Int
    /// Q: columns of the matrix applied.
    let columns: Int
    /// L for one vector: product of the current sizes of the modes before `factor`. A batch of B
    /// batch-major vectors is just B·L, because the batch index is the most significant of all.
    let outerCount: Int
    /// R: product of the current sizes of the modes after `factor`; the contiguous run length.
    let innerCount: Int
    /// Offset of this factor's first entry in the operator's packed weight planes.
    let weightOffset: Int

    /// The pass as the C kernels take it.
    var cPass: kru_mode_pass {
        kru_mode_pass(rows: Int64(rows), columns: Int64(columns), outer: Int64(outerCount), inner: Int64(innerCount),
                      weightOffset: Int64(weightOffset))
    }
}

/// The order of mode passes for one operator (forward or adjoint) and the scratch they need.
struct KroneckerPlan: Sendable, Equatable {
    let passes: [KroneckerModePass]
    /// The same passes for the C kernels.
    let cPasses: [kru_mode_pass]
    /// Longest intermediate vector (per input vector) that has to live in the workspace; the first
    /// pass reads the caller's input and the last writes the caller's output directly.
    let scratchElementsPerVector: Int

    /// `cPasses` mirror `passes`, so they take no part in equality.
    static func == (a: Self, b: Self) -> Bool {
        a.passes == b.passes && a.scratchElementsPerVector == b.scratchElementsPerVector
    }

    /// - Parameter shape: sizes of the matrices to apply (for the adjoint, pass `shape.adjoint`).
    init(shape: KroneckerShape) throws(KroneckerOperatorError) {
        let factorCount = shape.factorCount
        var weightOffsets = [Int](repeating: 0, count: factorCount)
        var offset = 0
        for f in 0..<factorCount {
            weightOffsets[f] = offset
            offset += shape.rows[f] * shape.columns[f]
        }

        // Modes commute, but with rectangular factors the order changes the cost and the
        // intermediate sizes. Swapping two adjacent passes shows the cheaper one goes first iff
        // 1/Q − 1/P is smaller (Selesnick & Burrus), so sorting by that key is optimal: shrinking
        // factors first. Ties (all square factors) go last mode first, as in the reference pseudocode.
        let order = (0..<factorCount).sorted { a, b in
            let keyA = 1.0 / Double(shape.columns[a]) - 1.0 / Double(shape.rows[a])
            let keyB = 1.0 / Double(shape.columns[b]) - 1.0 / Double(shape.rows[b])
            return keyA != keyB ? keyA < keyB : a > b
        }

        var currentSizes = shape.columns
        var passes: [KroneckerModePass] = []
        passes.reserveCapacity(factorCount)
        var scratch = 1
        for (step, f) in order.enumerated() {
            let what = "an intermediate vector of the mode-product chain"
            let outer = try KroneckerShape.cappedProduct(Array(currentSizes[..<f]), what: what)
            let inner = try KroneckerShape.cappedProduct(Array(currentSizes[(f + 1)...]), what: what)
            let rows = shape.rows[f]
            let columns = shape.columns[f]
            let produced = try KroneckerShape.cappedProduct([outer, rows, inner], what: what)
            if step < factorCount - 1 { scratch = max(scratch, produced) }
            currentSizes[f] = rows
            passes.append(KroneckerModePass(
                factor: f, rows: rows, columns: columns, outerCount: outer, innerCount: inner,
                weightOffset: weightOffsets[f]))
        }
        self.passes = passes
        cPasses = passes.map(\.cPass)
        self.scratchElementsPerVector = scratch
    }
}
