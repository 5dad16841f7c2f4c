import KRUInference

/// One forward (and optionally backward) pass of a ``KRUNetwork`` over a chunk in single precision: the fast path
/// of ``KRUTrainer`` (docs/TRAINING.md, "Precision and speed"). It computes what ``NetworkPass`` computes — the
/// Double reference, which the gradient checks use and which the equivalence tests compare this pass with — from
/// a Float copy of the parameters:
///
/// - the dense products over all T·B rows (input projections, readout and their gradients, a dense recurrence's
///   W̄_hh) are single-precision BLAS GEMMs, run with the pass's thread count while the workers are idle;
/// - the recurrence runs step by step, each worker on its sub-batch, in the C kernels of
///   ``TrainingKernels``: Kronecker chains in the stream-interleaved layout of ``SinglePrecisionChain`` (their
///   intermediates recomputed by the backward pass), dense recurrent products as a small-batch product against
///   W_hhᵀ and W_hh (packed once per pass), and the fused element-wise cell steps.
///
/// Gradients come back in Double, in the flat layout, so the penalty, clipping and the optimizer are shared with
/// the Double path.
final class SinglePrecisionPass {
    let architecture: KRUArchitecture
    let layout: ParameterLayout
    let batch: SequenceBatch
    let kernels = TrainingKernels.preferred
    let pool: BufferPool<Float>
    let threads: Int
    let parameters: FloatBuffer
    let partition: BatchPartition
    /// Per worker, its streams padded to a multiple of 8: the C of the interleaved layout.
    let columns: [Int]
    let chains: [SinglePrecisionChain?]
    /// Per layer, `[gate][term][factor]` (one gate for `kru`); empty for a dense recurrence.
    let factors: [[[[FactorWeights]]]]
    /// Per dense real layer, W_hhᵀ (N × G·N, for the forward product) and W_hh (G·N × N, for the backward one),
    /// packed for the small-batch product; nil otherwise.
    let packedRecurrent: [(forward: FloatBuffer, backward: FloatBuffer)?]
    let dropout: DropoutMasks?
    /// Layer 0's real input rows (vectors, or embedding rows when the vocabulary is not smaller than the rows); nil
    /// for tokens read through columns or a table (see ``LayerInput``).
    private(set) var inputRows: FloatBuffer?
    private(set) var tapes: [SingleLayerTape] = []
    /// The head's outputs, T·B × K.
    let logits: FloatBuffer
    /// The factors' adjoints, kept alive for the pointers in `factors`.
    private let adjoints: [FloatBuffer]

    var steps: Int { batch.length }
    var batchSize: Int { batch.batchSize }
    var rows: Int { batch.length * batch.batchSize }

    init(network: KRUNetwork, batch: SequenceBatch, initialState: RecurrentState?, workers: Int,
         dropout: DropoutMasks?, pool: BufferPool<Float>) {
        architecture = network.architecture
        layout = network.layout
        self.batch = batch
        self.pool = pool
        self.dropout = dropout
        threads = workers
        let parameters = pool.buffer(network.parameterCount, zeroed: false)
        network.parameters.withUnsafeBufferPointer { p in
            BatchPartition(batchSize: p.count, workers: workers).run { _, range in
                for i in range { parameters[i] = Float(p[i]) }
            }
        }
        self.parameters = parameters
        partition = BatchPartition(batchSize: batch.batchSize, workers: workers)
        columns = partition.ranges.map { ($0.count + 7) / 8 * 8 }
        chains = architecture.layers.map {
            $0.factorShapes.isEmpty ? nil : SinglePrecisionChain(shapes: $0.factorShapes)
        }
        var adjoints: [FloatBuffer] = []
        factors = layout.layers.map { slots in
            let tensors: [[[ParameterTensor]]] = switch slots {
            case .complex(let complex): [complex.factors]
            case .real(let real): real.factors
            }
            return tensors.map { terms in
                terms.map { term in
                    term.map { tensor in
                        let (weights, adjoint, storage) = Self.factorWeights(tensor, parameters)
                        adjoints.append(storage)
                        return FactorWeights(shape: .init(rows: tensor.shape[0], columns: tensor.shape[1]),
                                             weights: weights, adjoint: adjoint)
                    }
                }
            }
        }
        self.adjoints = adjoints
        packedRecurrent = layout.layers.map { slots in
            guard case .real(let real) = slots, let dense = real.denseRecurrent else { return nil }
            let (gn, n) = (dense.shape[0], dense.shape[1]), kernels = TrainingKernels.preferred
            let transposed = pool.buffer(gn * n, zeroed: false)
            kernels.transpose(rows: gn, columns: n, parameters.base + dense.offset, lds: n, into: transposed.base,
                              ldd: gn)
            let forward = pool.buffer(kernels.packedCount(rows: n, columns: gn), zeroed: false)
            let backward = pool.buffer(kernels.packedCount(rows: gn, columns: n), zeroed: false)
            kernels.pack(transposed.base, rows: n, columns: gn, into: forward.base)
            kernels.pack(parameters.base + dense.offset, rows: gn, columns: n, into: backward.base)
            return (forward, backward)
        }
        logits = pool.buffer(batch.length * batch.batchSize * architecture.output.width, zeroed: false)
        let state = initialState ?? .zero(architecture, batchSize: batch.batchSize)
        precondition(state.fits(architecture, batchSize: batch.batchSize),
                     "the carried state belongs to another batch size or architecture")
        inputRows = layerZeroInput()
        for (l, layer) in architecture.layers.enumerated() {
            if layer.isComplex {
                tapes.append(.complex(SingleComplexTape(
                    rows: rows, batchSize: batchSize, units: layer.hiddenSize, initial: state.layers[l],
                    columns: columns, steps: steps, pool: pool)))
            } else {
                tapes.append(.real(SingleRealTape(
                    rows: rows, batchSize: batchSize, layer: layer, initial: state.layers[l],
                    chained: chains[l] != nil, columns: columns, steps: steps, masked: dropout != nil, pool: pool)))
            }
        }
    }

    /// A factor's weights (pointing into the parameters) and its adjoint Wᴴ (Q × P) in a buffer of its own.
    private static func factorWeights(_ tensor: ParameterTensor, _ parameters: FloatBuffer)
        -> (ConstantPlanes, ConstantPlanes, FloatBuffer) {
        let (p, q) = (tensor.shape[0], tensor.shape[1])
        let adjoint = FloatBuffer(count: tensor.scalarCount)
        let re = parameters.base + tensor.realOffset
        let im = tensor.isComplex ? parameters.base + tensor.imaginaryOffset : nil
        for i in 0..<p {
            for j in 0..<q {
                adjoint[j * p + i] = re[i * q + j]
                if let im { adjoint[p * q + j * p + i] = -im[i * q + j] }
            }
        }
        let weights = ConstantPlanes(re: re, im: im.map { UnsafePointer($0) })
        let conjugate = ConstantPlanes(re: adjoint.base, im: im == nil ? nil : UnsafePointer(adjoint.base + p * q))
        return (weights, conjugate, adjoint)
    }

    /// The real rows layer 0 reads: the vectors themselves, or the embedding rows of the tokens.
    private func layerZeroInput() -> FloatBuffer? {
        switch (batch.inputs, architecture.input) {
        case (.vectors(let values, let width), .vectors(let expected)):
            precondition(width == expected, "input vectors of width \(width) for a model of width \(expected)")
            let rows = pool.buffer(values.count, zeroed: false)
            for (i, value) in values.enumerated() { rows[i] = Float(value) }
            return rows
        case (.tokens(let tokens), .tokens(let vocabulary, let embeddingWidth)):
            precondition(tokens.allSatisfy { $0 >= 0 && $0 < vocabulary.count }, "a token is outside the vocabulary")
            guard let width = embeddingWidth, let table = layout.embedding,
                  !Self.readsTokenTable(layout, rows: tokens.count) else { return nil }
            let rows = pool.buffer(tokens.count * width, zeroed: false)
            for (row, token) in tokens.enumerated() {
                (rows.base + row * width).update(from: parameters.base + table.offset + token * width, count: width)
            }
            return rows
        default:
            preconditionFailure("the batch's inputs do not match the model's input kind")
        }
    }

    // MARK: Forward

    /// Runs every layer over the chunk and the readout; fills the tapes and ``logits``.
    func forward() {
        for l in architecture.layers.indices {
            switch tapes[l] {
            case .complex(let tape):
                projectComplexInput(layer: l, tape: tape)
                runComplexRecurrence(layer: l, tape: tape)
                dropout?.apply(layer: l, to: tape.output.base, count: tape.output.count)
            case .real(let tape):
                projectRealInput(layer: l, tape: tape)
                runRealRecurrence(layer: l, tape: tape)
                if let dropout {
                    tape.output.base.update(from: tape.h.base, count: tape.h.count)
                    dropout.apply(layer: l, to: tape.output.base, count: tape.output.count)
                }
            }
        }
        let k = architecture.output.width, top = tapes.last!.output, width = architecture.layers.last!.outputSize
        let bias = parameters.base + layout.readoutBias.offset
        for row in 0..<rows { (logits.base + row * k).update(from: bias, count: k) }
        Gemm.multiply(threads: threads, transposeA: false, transposeB: true, m: rows, n: k, k: width, a: top.base,
                      lda: width, b: parameters.base + layout.readoutWeight.offset, ldb: width, beta: 1, c: logits.base,
                      ldc: k)
    }

    /// The state after the chunk's last step.
    func finalState() -> RecurrentState {
        RecurrentState(batchSize: batchSize, layers: architecture.layers.enumerated().map { l, layer in
            switch tapes[l] {
            case .complex(let tape): tape.finalState(steps: steps, batchSize: batchSize, units: layer.hiddenSize)
            case .real(let tape): tape.finalState(steps: steps, batchSize: batchSize, units: layer.hiddenSize)
            }
        })
    }

    /// The logits in Double (for the losses, which ``SequenceLoss`` computes in Double for both paths).
    func doubleLogits() -> [Double] { (0..<logits.count).map { Double(logits[$0]) } }
}
