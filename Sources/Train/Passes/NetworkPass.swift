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
    /// Each layer's Kronecker chain; nil for a dense recurrence.
    let chains: [KroneckerChain?]
    /// Layer 0's real input rows (T·B × D_0) for vector and embedding inputs; nil for one-hot tokens.
    let inputRows: DoubleBuffer?
    private(set) var tapes: [LayerRecord] = []
    /// The head's outputs, T·B × K.
    let logits: DoubleBuffer
    /// Where the pass's large buffers come from (and go back to when the owner reclaims the pool).
    let pool: BufferPool<Double>
    /// Dropout on every layer's output, if any.
    let dropout: DropoutMasks?

    var steps: Int { batch.length }
    var batchSize: Int { batch.batchSize }
    var rows: Int { batch.length * batch.batchSize }

    init(network: KRUNetwork, batch: SequenceBatch, initialState: RecurrentState?, workers: Int,
         dropout: DropoutMasks? = nil, pool: BufferPool<Double>) {
        architecture = network.architecture
        layout = network.layout
        self.batch = batch
        self.pool = pool
        self.dropout = dropout
        let parameters = pool.buffer(network.parameters.count, zeroed: false)
        network.parameters.withUnsafeBufferPointer { parameters.base.update(from: $0.baseAddress!, count: $0.count) }
        self.parameters = parameters
        partition = BatchPartition(batchSize: batch.batchSize, workers: workers)
        chains = architecture.layers.map { $0.factorShapes.isEmpty ? nil : KroneckerChain(shapes: $0.factorShapes) }
        logits = pool.buffer(batch.length * batch.batchSize * architecture.output.width, zeroed: false)
        let state = initialState ?? .zero(architecture, batchSize: batch.batchSize)
        precondition(state.fits(architecture, batchSize: batch.batchSize),
                     "the carried state belongs to another batch size or architecture")
        inputRows = Self.layerZeroInput(architecture, layout, batch, parameters, pool)
        for (l, layer) in architecture.layers.enumerated() {
            tapes.append(layer.isComplex
                ? .complex(ComplexLayerTape(rows: rows, batchSize: batchSize, units: layer.hiddenSize,
                                            initial: state.layers[l], pool: pool))
                : .real(RealLayerTape(rows: rows, batchSize: batchSize, layer: layer, initial: state.layers[l],
                                      masked: dropout != nil, pool: pool)))
        }
    }

    /// The real rows layer 0 reads: the vectors themselves, or the embedding rows of the tokens.
    private static func layerZeroInput(_ architecture: KRUArchitecture, _ layout: ParameterLayout,
                                       _ batch: SequenceBatch,
                                       _ parameters: DoubleBuffer, _ pool: BufferPool<Double>) -> DoubleBuffer? {
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

    /// Layer `l`'s real input rows (T·B × D_l): the layer below's outputs, or layer 0's vectors or embedding rows;
    /// nil when layer 0 reads one-hot tokens.
    func inputRows(ofLayer l: Int) -> UnsafeMutablePointer<Double>? {
        l == 0 ? inputRows?.base : tapes[l - 1].output.base
    }

    /// The tokens of a one-hot layer 0 (nil when layer `l` reads real rows).
    func oneHotTokens(ofLayer l: Int) -> [Int]? {
        if l == 0, case .tokens(let tokens) = batch.inputs, inputRows == nil { tokens } else { nil }
    }

    // MARK: Forward

    /// Runs every layer over the chunk and the readout; fills the tapes and ``logits``.
    func forward() {
        for l in architecture.layers.indices {
            switch tapes[l] {
            case .complex(let tape):
                projectInput(layer: l, tape: tape)
                runRecurrence(layer: l, tape: tape)
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
        Gemm.multiply(transposeA: false, transposeB: true, m: rows, n: k, k: width,
                      a: top.base, lda: width, b: parameters.base + layout.readoutWeight.offset, ldb: width,
                      beta: 1, c: logits.base, ldc: k)
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
}

/// What the forward pass kept of one layer.
enum LayerRecord {
    case complex(ComplexLayerTape)
    case real(RealLayerTape)

    /// The layer's output rows (T·B × D_out, after dropout): the next layer's input or the readout's.
    var output: DoubleBuffer {
        switch self {
        case .complex(let tape): tape.output
        case .real(let tape): tape.output
        }
    }
}
