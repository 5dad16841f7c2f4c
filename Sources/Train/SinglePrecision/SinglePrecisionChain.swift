import KRUInference

/// One Kronecker factor in single precision: its weights and its adjoint Wᴴ (Q × P), which the backward pass
/// applies as an ordinary mode product.
struct FactorWeights: @unchecked Sendable {
    let shape: KroneckerFactorShape
    let weights: ConstantPlanes
    let adjoint: ConstantPlanes
}

/// One Kronecker term K = W_0 ⊗ … ⊗ W_{F−1} applied to a worker's streams in single precision, and its backward
/// pass — the algorithm of ``KroneckerChain`` (docs/KRONECKER.md §8–10) on a different layout.
///
/// **Layout.** A batch of C vectors is stored stream-interleaved: element i of stream v at `i·C + v` (the
/// transpose of the batch-major rows everywhere else). The streams then act as one more mode of size C after the
/// last factor, so mode k is a product over [∏_{g<k} P_g][Q_k][∏_{g>k} Q_g · C]: its innermost run is at least C
/// floats long, and with C a multiple of 8 every mode — including the last factors of a 2 × 2 chain, whose runs are
/// 1 or 2 elements per stream — is whole SIMD registers (see Sources/CTrainKernels).
///
/// **Intermediates.** The forward pass writes x_1 … x_{F−1} (x with the first k factors applied) one after the
/// other into `intermediates`, scratch the caller reuses for every term; the backward pass first recomputes them for
/// its term (``recompute(_:kernels:x:intermediates:columns:)``), then contracts the upstream gradient with them for
/// W̄_k and pulls it back through Wᴴ_k. Keeping them on the tape instead made every step write, and the backward
/// pass read back from memory, F − 1 vectors per term: for a KRU-512 with nine 2 × 2 factors 26 MB per worker and
/// update of 16 × 100 characters, and its training 20 % slower than recomputing them in cache.
struct SinglePrecisionChain: Sendable {
    let geometry: ChainGeometry

    init(shapes: [KroneckerFactorShape]) { geometry = ChainGeometry(shapes: shapes) }

    private var shapes: [KroneckerFactorShape] { geometry.shapes }
    private var outer: [Int] { geometry.outer }
    private var inner: [Int] { geometry.inner }
    var factorCount: Int { geometry.factorCount }
    /// Floats per stream of the stored intermediates x_1 … x_{F−1}.
    var intermediateLength: Int { geometry.lengths[1..<factorCount].reduce(0, +) }
    /// The longest x_k per stream (scratch for the backward pass needs this times C).
    var maxLength: Int { geometry.maxLength }

    /// Offset of x_k (k ≥ 1) in the intermediates, per stream.
    private func offset(_ k: Int) -> Int { geometry.lengths[1..<k].reduce(0, +) }

    /// y (=, or += when `accumulate`) K·x for `columns` interleaved streams; writes x_1 … x_{F−1}.
    func forward(_ term: [FactorWeights], kernels: TrainingKernels, x: Planes, intermediates: Planes, y: Planes,
                 columns c: Int, accumulate: Bool) {
        recompute(term, kernels: kernels, x: x, intermediates: intermediates, columns: c)
        let last = factorCount - 1
        kernels.modeProduct(term[last].weights, shapes[last], outer: outer[last], inner: inner[last] * c,
                            x: last == 0 ? x : intermediates.advanced(by: offset(last) * c), y: y,
                            accumulate: accumulate)
    }

    /// x_1 … x_{F−1} of `x`: the forward pass without its last product. A caller whose tape keeps only x calls
    /// this before ``backward(_:kernels:gradients:x:intermediates:gradOutput:scratch:gradInput:columns:)``, which
    /// then reads intermediates just written (in cache) instead of ones stored a whole chunk earlier.
    func recompute(_ term: [FactorWeights], kernels: TrainingKernels, x: Planes, intermediates: Planes,
                   columns c: Int) {
        var source = x
        for k in 0..<factorCount - 1 {
            let destination = intermediates.advanced(by: offset(k + 1) * c)
            kernels.modeProduct(term[k].weights, shapes[k], outer: outer[k], inner: inner[k] * c, x: source,
                                y: destination, accumulate: false)
            source = destination
        }
    }

    /// Backward through y = K·x: adds W̄_k to `gradients[k]` (for real factors as the partial sums of
    /// ``TrainingKernels/modeGradient(_:outer:inner:gradOutput:input:into:)``) and, when given, Kᴴȳ to `gradInput`.
    /// `gradOutput` is only read; `scratch` holds two buffers of `maxLength · columns` floats (per plane).
    func backward(_ term: [FactorWeights], kernels: TrainingKernels, gradients: [Planes], x: Planes,
                  intermediates: Planes, gradOutput: Planes, scratch: (Planes, Planes), gradInput: Planes?,
                  columns c: Int) {
        var delta = gradOutput  // δ_{k+1}
        for k in stride(from: factorCount - 1, through: 0, by: -1) {
            let input = k == 0 ? x : intermediates.advanced(by: offset(k) * c)
            let target = k > 0 ? (k % 2 == 0 ? scratch.0 : scratch.1) : gradInput
            if kernels.fusedModeBackward(term[k].weights, shapes[k], outer: outer[k], inner: inner[k] * c,
                                         gradOutput: delta, input: input, into: gradients[k], gradInput: target,
                                         accumulate: k == 0) {
                if k > 0 { delta = target! }
                continue
            }
            kernels.modeGradient(shapes[k], outer: outer[k], inner: inner[k] * c, gradOutput: delta, input: input,
                                 into: gradients[k])
            let adjointShape = KroneckerFactorShape(rows: shapes[k].columns, columns: shapes[k].rows)
            if k > 0 {
                let next = k % 2 == 0 ? scratch.0 : scratch.1
                kernels.modeProduct(term[k].adjoint, adjointShape, outer: outer[k], inner: inner[k] * c, x: delta,
                                    y: next, accumulate: false)
                delta = next
            } else if let gradInput {
                kernels.modeProduct(term[0].adjoint, adjointShape, outer: outer[0], inner: inner[0] * c, x: delta,
                                    y: gradInput, accumulate: true)
            }
        }
    }
}
