import CInferenceKernels

/// What a layer reads at one step, for each stream of the batch.
enum LayerInput {
    /// Dense vectors, contiguous, `width` each (the previous layer's output, input vectors, embedding rows).
    case vectors(UnsafePointer<Float>, width: Int)
    /// Token ids applied as one-hot columns (never formed).
    case oneHot(UnsafePointer<Int>)
    /// Per stream, a row that already holds the layer's input projection W_ih·x + b_ih (kru: real plane, then
    /// imaginary): a row of the model's ``InputTable``.
    case projected(UnsafePointer<UnsafePointer<Float>>)
}

/// Scratch shared by all layers of a session, sized for the widest layer and the batch, so a step allocates
/// nothing.
struct StepScratch {
    let fromInput: UnsafeMutablePointer<Float>  // batch × G·N: W_ih x + b_ih (kru: Re of the pre-activation)
    let fromState: UnsafeMutablePointer<Float>  // batch × G·N: R h + b_hh (kru: Im of the pre-activation)
    let first: UnsafeMutablePointer<Float>  // batch × N: partial products of a dense complex recurrence
    let second: UnsafeMutablePointer<Float>
    let workspace: KroneckerWorkspace
    /// batch: where each stream's input gates are for a real cell (`fromInput + b·G·N`, or a row of the input
    /// table, which the cell reads in place).
    let inputGateRows: UnsafeMutablePointer<UnsafePointer<Float>>
    /// Threads that share the large dense products, or nil for a single-threaded session.
    let team: WorkerTeam?
}

extension UnsafeMutablePointer where Pointee == Float {
    /// Copies `values` to `count` places `stride` apart (a bias into every stream's vector).
    func fill(from values: UnsafePointer<Float>, count: Int, streams: Int, stride: Int) {
        for b in 0..<streams { (self + b * stride).update(from: values, count: count) }
    }
}

extension LayerWeights {
    /// One step of the layer for `batch` streams, on the state held in `buffers`.
    func step(_ x: LayerInput, batch: Int, buffers: LayerBuffers, scratch: StepScratch, variant: KernelVariant) {
        switch self {
        case .kru(let w):
            w.step(x, batch: batch, real: buffers.first, imaginary: buffers.second, output: buffers.output,
                   scratch: scratch, variant: variant)
        case .real(let w):
            w.step(x, batch: batch, hidden: buffers.first, cell: buffers.second, scratch: scratch, variant: variant)
        }
    }
}

extension KRULayerWeights {
    /// z = U x + b for `batch` streams into split planes, stream b at offset b·stride of each. Not for projected
    /// rows: the recurrence starts from those (`Recurrence.multiplyAdd(…startingFrom:…)`).
    func projectInput(
        _ x: LayerInput, batch: Int, real zr: UnsafeMutablePointer<Float>, imaginary zi: UnsafeMutablePointer<Float>,
        stride: Int, variant: KernelVariant, team: WorkerTeam?
    ) {
        let n = hiddenSize
        biasReal.withUnsafeBufferPointer { zr.fill(from: $0.baseAddress!, count: n, streams: batch, stride: stride) }
        biasImaginary.withUnsafeBufferPointer {
            zi.fill(from: $0.baseAddress!, count: n, streams: batch, stride: stride)
        }
        switch x {
        case .vectors(let vectors, let width):
            input.real.multiply(vectors, xStride: width, batch: batch, into: zr, yStride: stride, accumulate: true,
                                variant: variant, team: team)
            input.imaginary.multiply(vectors, xStride: width, batch: batch, into: zi, yStride: stride,
                                     accumulate: true, variant: variant, team: team)
        case .oneHot(let tokens):
            for b in 0..<batch {
                input.real.addColumn(tokens[b], into: zr + b * stride)
                input.imaginary.addColumn(tokens[b], into: zi + b * stride)
            }
        case .projected:
            preconditionFailure("a kru layer's projected rows go to the recurrence, which starts from them")
        }
    }

    /// One step for `batch` streams: `hr`, `hi` (batch × N, split planes) hold h and are replaced by the new
    /// state; `output` (batch × 2N) receives [Re h; Im h] per stream, the layer's output.
    func step(
        _ x: LayerInput, batch: Int, real hr: UnsafeMutablePointer<Float>, imaginary hi: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>, scratch: StepScratch, variant: KernelVariant
    ) {
        let n = hiddenSize
        let zr = scratch.fromInput, zi = scratch.fromState
        let projected: UnsafePointer<UnsafePointer<Float>>?
        if case .projected(let rows) = x {
            projected = rows
        } else {
            projected = nil
            projectInput(x, batch: batch, real: zr, imaginary: zi, stride: n, variant: variant, team: scratch.team)
        }
        recurrent.multiplyAdd(real: hr, imaginary: hi, hiddenSize: n, batch: batch, startingFrom: projected,
                              intoReal: zr, imaginary: zi, first: scratch.first, second: scratch.second,
                              workspace: scratch.workspace, variant: variant, team: scratch.team)
        let code: Int32 = switch activation {
        case .modReLU: Int32(KRU_ACTIVATION_MODRELU)
        case .splitReLU: Int32(KRU_ACTIVATION_SPLIT_RELU)
        case .splitTanh: Int32(KRU_ACTIVATION_SPLIT_TANH)
        }
        if let modReLUBias {
            modReLUBias.withUnsafeBufferPointer {
                kru_complex_activation(variant.rawValue, code, n, batch, zr, zi, $0.baseAddress, hr, hi, output)
            }
        } else {
            kru_complex_activation(variant.rawValue, code, n, batch, zr, zi, nil, hr, hi, output)
        }
    }
}

extension RealLayerWeights {
    /// g = W_ih x + b_ih (G·N values) for `batch` streams, stream b at `gates + b·stride`. Not for projected
    /// rows: the cell reads those in place.
    func projectInput(
        _ x: LayerInput, batch: Int, into gates: UnsafeMutablePointer<Float>, stride: Int, variant: KernelVariant,
        team: WorkerTeam?
    ) {
        let rows = input.rows
        Self.initialize(gates, with: inputBias, count: rows, streams: batch, stride: stride)
        switch x {
        case .vectors(let vectors, let width):
            input.multiply(vectors, xStride: width, batch: batch, into: gates, yStride: stride, accumulate: true,
                           variant: variant, team: team)
        case .oneHot(let tokens):
            for b in 0..<batch { input.addColumn(tokens[b], into: gates + b * stride) }
        case .projected:
            preconditionFailure("a real layer's projected rows go to the cell, which reads them in place")
        }
    }

    /// One step of RNN, LSTM or GRU for `batch` streams: `hidden` (batch × N) and, for LSTM, `cell`
    /// (batch × N) are replaced by the new state; `hidden` is also the layer's output.
    func step(
        _ x: LayerInput, batch: Int, hidden: UnsafeMutablePointer<Float>, cell: UnsafeMutablePointer<Float>,
        scratch: StepScratch, variant: KernelVariant
    ) {
        let n = hiddenSize, rows = input.rows
        let gh = scratch.fromState
        // A row of the input table (W_ih e_token + b_ih) goes to the cell where it is: copying it into every
        // stream's gate vector cost about 7 % of kjv-lstm512's batched step on Zen 3 (docs/ENGINE.md).
        let gi: UnsafePointer<UnsafePointer<Float>>
        if case .projected(let tableRows) = x {
            gi = tableRows
        } else {
            projectInput(x, batch: batch, into: scratch.fromInput, stride: rows, variant: variant, team: scratch.team)
            for b in 0..<batch { scratch.inputGateRows[b] = UnsafePointer(scratch.fromInput + b * rows) }
            gi = UnsafePointer(scratch.inputGateRows)
        }
        Self.initialize(gh, with: recurrentBias, count: rows, streams: batch, stride: rows)
        recurrent.multiplyAdd(hidden, hiddenSize: n, batch: batch, into: gh, stride: rows,
                              workspace: scratch.workspace, variant: variant, team: scratch.team)
        let v = variant.rawValue
        // C sees `const float *const *`, which Swift imports with optional elements (same layout).
        let inputGates = UnsafeRawPointer(gi).assumingMemoryBound(to: UnsafePointer<Float>?.self)
        switch self.cell {
        case .rnnTanh: kru_rnn_tanh_cell(v, n, batch, inputGates, gh, rows, hidden)
        case .rnnReLU: kru_rnn_relu_cell(v, n, batch, inputGates, gh, rows, hidden)
        case .lstm: kru_lstm_cell(v, n, batch, inputGates, gh, rows, hidden, cell)
        case .gru: kru_gru_cell(v, n, batch, inputGates, gh, rows, hidden)
        case .kru: preconditionFailure("kru cells use KRULayerWeights")
        }
    }

    /// Every stream's gate vector starts at its bias, or at zero without one (the products are added to it).
    private static func initialize(
        _ gates: UnsafeMutablePointer<Float>, with bias: [Float]?, count: Int, streams: Int, stride: Int
    ) {
        guard let bias else {
            for b in 0..<streams { (gates + b * stride).update(repeating: 0, count: count) }
            return
        }
        bias.withUnsafeBufferPointer {
            gates.fill(from: $0.baseAddress!, count: count, streams: streams, stride: stride)
        }
    }
}
