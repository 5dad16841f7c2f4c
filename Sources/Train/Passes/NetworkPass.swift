/// One forward (and optionally backward) pass of a ``KRUNetwork`` over a chunk of a ``SequenceBatch``.
///
/// The dense parts — input projections and the readout — are one BLAS GEMM over all T·B rows of a layer; the
/// recurrence runs step by step, each worker thread owning a sub-batch (``BatchPartition``).
final class NetworkPass {
    let architecture: KRUArchitecture
    let layout: ParameterLayout
    let batch: SequenceBatch
    /// A private copy of the parameters with a stable address for the workers.
    let parameters: DoubleBuffer
    let partition: BatchPartition
    let chains: [KroneckerChain]
    /// Layer 0's real input rows (T·B × D_0) for vector and embedding inputs; nil for one-hot tokens.
    let inputRows: DoubleBuffer?
    private(set) var tapes: [LayerTape] = []
    /// The head's outputs, T·B × K.
    let logits: DoubleBuffer
    /// Where the pass's large buffers come from (and go back to when the owner reclaims the pool).
    let pool: BufferPool

    var steps: Int { batch.length }
    var batchSize: Int { batch.batchSize }
    var rows: Int { batch.length * batch.batchSize }

    init(network: KRUNetwork, batch: SequenceBatch, initialState: RecurrentState?, workers: Int, pool: BufferPool) {
        architecture = network.architecture
        layout = network.layout
        self.batch = batch
        self.pool = pool
        let parameters = pool.buffer(network.parameters.count, zeroed: false)
        network.parameters.withUnsafeBufferPointer { parameters.base.update(from: $0.baseAddress!, count: $0.count) }
        self.parameters = parameters
        partition = BatchPartition(batchSize: batch.batchSize, workers: workers)
        chains = architecture.layers.map { KroneckerChain(shapes: $0.factorShapes) }
        logits = pool.buffer(batch.length * batch.batchSize * architecture.output.width, zeroed: false)
        let state = initialState ?? .zero(architecture, batchSize: batch.batchSize)
        precondition(state.batchSize == batch.batchSize && state.layers.count == architecture.layers.count,
                     "the carried state belongs to another batch size or architecture")
        inputRows = Self.layerZeroInput(architecture, layout, batch, parameters, pool)
        for (l, layer) in architecture.layers.enumerated() {
            tapes.append(LayerTape(rows: rows, batchSize: batchSize, units: layer.hiddenSize, initial: state.layers[l], pool: pool))
        }
    }

    /// The real rows layer 0 reads: the vectors themselves, or the embedding rows of the tokens.
    private static func layerZeroInput(_ architecture: KRUArchitecture, _ layout: ParameterLayout, _ batch: SequenceBatch,
                                       _ parameters: DoubleBuffer, _ pool: BufferPool) -> DoubleBuffer? {
        switch (batch.inputs, architecture.input) {
        case (.vectors(let values, let width), .vectors(let expected)):
            precondition(width == expected, "input vectors of width \(width) for a model of width \(expected)")
            let rows = pool.buffer(values.count, zeroed: false)
            values.withUnsafeBufferPointer { rows.base.update(from: $0.baseAddress!, count: $0.count) }
            return rows
        case (.tokens(let tokens), .tokens(let vocabulary, let embeddingWidth)):
            precondition(tokens.allSatisfy { $0 >= 0 && $0 < vocabulary.count }, "a token is outside the vocabulary")
            guard let width = embeddingWidth, let table = layout.embedding else { return nil }
            let rows = pool.buffer(tokens.count * width, zeroed: false)
            for (row, token) in tokens.enumerated() {
                (rows.base + row * width).update(from: parameters.base + table.offset + token * width, count: width)
            }
            return rows
        default:
            preconditionFailure("the batch's inputs do not match the model's input kind")
        }
    }

    /// Pointers to the factors of term `t` of layer `l` inside `buffer` (parameters or a gradient).
    func factorPointers(_ buffer: DoubleBuffer, layer l: Int, term t: Int) -> [SplitPointer] {
        layout.layers[l].factors[t].map { SplitPointer(re: buffer.base + $0.realOffset, im: buffer.base + $0.imaginaryOffset) }
    }

    // MARK: Forward

    /// Runs every layer over the chunk and the readout; fills the tapes and ``logits``.
    func forward() {
        for l in architecture.layers.indices {
            projectInput(layer: l)
            runRecurrence(layer: l)
        }
        let k = architecture.output.width, top = tapes.last!.output, width = architecture.layers.last!.outputSize
        let bias = parameters.base + layout.readoutBias.offset
        for row in 0..<rows { (logits.base + row * k).update(from: bias, count: k) }
        Gemm.multiply(transposeA: false, transposeB: true, m: rows, n: k, k: width,
                      a: top.base, lda: width, b: parameters.base + layout.readoutWeight.offset, ldb: width,
                      beta: 1, c: logits.base, ldc: k)
    }

    /// z ← b + U x_t for every row.
    private func projectInput(layer l: Int) {
        let slots = layout.layers[l], tape = tapes[l]
        let n = architecture.layers[l].hiddenSize, d = architecture.inputWidth(ofLayer: l)
        let (br, bi) = (parameters.base + slots.bias.realOffset, parameters.base + slots.bias.imaginaryOffset)
        let (ur, ui) = (parameters.base + slots.inputWeight.realOffset, parameters.base + slots.inputWeight.imaginaryOffset)
        for row in 0..<rows {
            (tape.z.re.base + row * n).update(from: br, count: n)
            (tape.z.im.base + row * n).update(from: bi, count: n)
        }
        if l == 0, case .tokens(let tokens) = batch.inputs, inputRows == nil {
            // One-hot input: add column `token` of U (never form the one-hot vector).
            for (row, token) in tokens.enumerated() {
                let zr = tape.z.re.base + row * n, zi = tape.z.im.base + row * n
                for i in 0..<n {
                    zr[i] += ur[i * d + token]
                    zi[i] += ui[i * d + token]
                }
            }
            return
        }
        let x = l == 0 ? inputRows!.base : tapes[l - 1].output.base
        // Z (rows × N) += X (rows × D) · Uᵀ, once for each plane of U (x is real).
        Gemm.multiply(transposeA: false, transposeB: true, m: rows, n: n, k: d, a: x, lda: d, b: ur, ldb: d,
                      beta: 1, c: tape.z.re.base, ldc: n)
        Gemm.multiply(transposeA: false, transposeB: true, m: rows, n: n, k: d, a: x, lda: d, b: ui, ldb: d,
                      beta: 1, c: tape.z.im.base, ldc: n)
    }

    /// z_t += Σ_terms K h_{t−1}; h_t = act(z_t), step by step, each worker on its sub-batch.
    private func runRecurrence(layer l: Int) {
        let layer = architecture.layers[l], slots = layout.layers[l], tape = tapes[l], chain = chains[l]
        let n = layer.hiddenSize, b = batchSize
        let terms = (0..<layer.rank).map { factorPointers(parameters, layer: l, term: $0) }
        let beta = slots.modReLUBias.map { UnsafePointer(parameters.base + $0.offset) }
        partition.run { _, range in
            let count = range.count
            let scratch = (SplitBuffer(count: count * chain.maxLength), SplitBuffer(count: count * chain.maxLength))
            // The loop only touches the scratch through raw pointers: keep the buffers alive until it ends (an
            // optimised build may otherwise free them after the last Swift-visible use).
            withExtendedLifetime(scratch) {
                for t in 0..<steps {
                    let first = (t * b + range.lowerBound) * n
                    let previous = t == 0 ? tape.initial.pointer(at: range.lowerBound * n) : tape.h.pointer(at: first - b * n)
                    let z = tape.z.pointer(at: first), h = tape.h.pointer(at: first)
                    for factors in terms {
                        chain.apply(factors: factors, x: previous, y: z, batch: count,
                                    scratch: (scratch.0.pointer(), scratch.1.pointer()), accumulate: true)
                    }
                    ComplexActivation.forward(layer.activation, z: z, h: h, batch: count, units: n, beta: beta)
                    for v in 0..<count {
                        let o = tape.output.base + (t * b + range.lowerBound + v) * 2 * n
                        o.update(from: h.re + v * n, count: n)
                        (o + n).update(from: h.im + v * n, count: n)
                    }
                }
            }
        }
    }

    /// The state after the chunk's last step.
    func finalState() -> RecurrentState {
        RecurrentState(batchSize: batchSize, layers: architecture.layers.enumerated().map { l, layer in
            tapes[l].finalState(steps: steps, batchSize: batchSize, units: layer.hiddenSize)
        })
    }
}
