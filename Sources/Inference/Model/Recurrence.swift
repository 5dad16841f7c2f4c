import CInferenceKernels

/// A layer's recurrent product (spec/MODEL.md §3) for all its gates: dense, or sums of Kronecker products applied
/// factor by factor without forming the matrix.
enum Recurrence: Sendable {
    /// PyTorch's stacked W_hh (G·N × N): one dense product gives every gate.
    case dense(DenseMatrix)
    /// The same stored as bf16 or f16 and kept so: the same product, reading half the bytes.
    case sixteenBitDense(SixteenBitMatrix)
    /// For each gate g, the rank-r terms of R_g = Σ_t W_{g,t,0} ⊗ … ⊗ W_{g,t,F−1}.
    case kronecker(KroneckerGates)
    /// A kru cell's complex N × N matrix.
    case complexDense(ComplexDenseMatrix)
    /// A kru cell's complex rank-r terms.
    case complexKronecker([ComplexKroneckerOperator])

    /// Multiply-adds of the recurrence's largest dense product per stream (0 for Kronecker terms).
    var denseMultiplyAdds: Int {
        switch self {
        case .dense(let matrix): matrix.rows * matrix.columns
        case .sixteenBitDense(let matrix): matrix.rows * matrix.columns
        case .complexDense(let matrix): matrix.rows * matrix.columns
        case .kronecker, .complexKronecker: 0
        }
    }

    /// Scratch floats per plane and per vector that the Kronecker terms need.
    var scratchElements: Int {
        switch self {
        case .dense, .sixteenBitDense, .complexDense: 0
        case .kronecker(let gates): gates.scratchElementsPerVector
        case .complexKronecker(let terms): terms.map(\.scratchElementsPerVector).max() ?? 0
        }
    }

    /// For each of `batch` real states h_b (contiguous N-vectors), adds R_g·h_b to gate g's N values, which start
    /// at `gates + b·stride + g·N`.
    func multiplyAdd(
        _ h: UnsafePointer<Float>, hiddenSize n: Int, batch: Int, into gates: UnsafeMutablePointer<Float>,
        stride: Int, workspace: KroneckerWorkspace, variant: KernelVariant, team: WorkerTeam?
    ) {
        switch self {
        case .dense(let matrix):
            matrix.multiply(h, xStride: n, batch: batch, into: gates, yStride: stride, accumulate: true,
                            variant: variant, team: team)
        case .sixteenBitDense(let matrix):
            matrix.multiply(h, xStride: n, batch: batch, into: gates, yStride: stride, accumulate: true,
                            variant: variant, team: team)
        case .kronecker(let blocks):
            blocks.multiplyAdd(h, hiddenSize: n, batch: batch, into: gates, stride: stride, workspace: workspace,
                               variant: variant)
        case .complexDense, .complexKronecker:
            preconditionFailure("a complex recurrence in a real cell; the loader prevents this")
        }
    }

    /// For each of `batch` complex states in split planes (batch × N each), adds R·h_b to z_b (batch × N each).
    /// With `projected`, z_b starts as stream b's row of the input table (real plane, then imaginary) instead of
    /// z's contents. `first`/`second` are scratch of batch × N floats.
    func multiplyAdd(
        real hr: UnsafePointer<Float>, imaginary hi: UnsafePointer<Float>, hiddenSize n: Int, batch: Int,
        startingFrom projected: UnsafePointer<UnsafePointer<Float>>? = nil,
        intoReal zr: UnsafeMutablePointer<Float>, imaginary zi: UnsafeMutablePointer<Float>,
        first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>, workspace: KroneckerWorkspace,
        variant: KernelVariant, team: WorkerTeam?
    ) {
        switch self {
        case .complexDense(let matrix):
            if let projected { Self.copyRows(projected, batch: batch, hiddenSize: n, intoReal: zr, imaginary: zi) }
            matrix.multiplyAdd(real: hr, imaginary: hi, batch: batch, intoReal: zr, imaginary: zi, first: first,
                               second: second, variant: variant, team: team)
        case .complexKronecker(let terms):
            let z = SplitComplexDestination(real: zr, imaginary: zi)
            // Through a pointer, whose elements are used in place: `for op in terms` (or an array's or buffer's
            // subscript) would copy each operator, retaining every array it holds, each step.
            terms.withUnsafeBufferPointer { operators in
                for op in operators.indices {
                    // The first term goes straight into z and the projected row is added to it: the sums that
                    // copying the row and adding every term give (one addition an element, which commutes),
                    // without the copy, and without the first term's detour through the workspace.
                    let writesZ = op == 0 && projected != nil
                    operators.baseAddress![op].multiply(SplitComplexSource(real: hr, imaginary: hi),
                                                        batchSize: batch, into: z, stride: n, accumulate: !writesZ,
                                                        workspace: workspace, variant: variant)
                    if writesZ, let projected {
                        for b in 0..<batch {
                            kru_add(variant.rawValue, n, zr + b * n, projected[b])
                            kru_add(variant.rawValue, n, zi + b * n, projected[b] + n)
                        }
                    }
                }
            }
        case .dense, .sixteenBitDense, .kronecker:
            preconditionFailure("a real recurrence in a complex cell; the loader prevents this")
        }
    }

    /// z_b = stream b's projected row (real plane, then imaginary, N each) for `batch` streams N apart.
    private static func copyRows(
        _ projected: UnsafePointer<UnsafePointer<Float>>, batch: Int, hiddenSize n: Int,
        intoReal zr: UnsafeMutablePointer<Float>, imaginary zi: UnsafeMutablePointer<Float>
    ) {
        for b in 0..<batch {
            (zr + b * n).update(from: projected[b], count: n)
            (zi + b * n).update(from: projected[b] + n, count: n)
        }
    }
}
