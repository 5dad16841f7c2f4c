/// What the single-precision forward pass of one `kru` layer keeps for the backward pass (rows `t·B + b`).
final class SingleComplexTape {
    /// z_t = Σ K h_{t−1} + U x_t + b and h_t = act(z_t), batch-major rows of N.
    let z: SplitPlanes<Float>
    let h: SplitPlanes<Float>
    /// [Re h_t; Im h_t] per row (after dropout when the pass has masks): the next layer's or the readout's input.
    let output: FloatBuffer
    /// h_{−1}, B × N.
    let initial: SplitPlanes<Float>
    /// Per worker: for every step, x_0 = h_{t−1} in the chain's interleaved layout (the intermediates are
    /// recomputed by the backward pass, see ``SinglePrecisionChain``).
    let chain: [SplitPlanes<Float>]
    /// Per worker: floats per step in `chain` (per plane).
    let stepStride: [Int]

    init(rows: Int, batchSize: Int, units n: Int, initial state: RecurrentState.Layer, columns: [Int], steps: Int,
         pool: BufferPool<Float>) {
        z = pool.split(rows * n, zeroed: false)
        h = pool.split(rows * n, zeroed: false)
        output = pool.buffer(rows * 2 * n, zeroed: false)
        initial = pool.split(batchSize * n, zeroed: false)
        precondition(state.real.count == batchSize * n, "the carried state does not fit the batch")
        for i in 0..<batchSize * n {
            initial.re[i] = Float(state.real[i])
            initial.im[i] = Float(state.imaginary[i])
        }
        stepStride = columns.map { n * $0 }
        chain = stepStride.map { pool.split(steps * $0, zeroed: false) }
    }

    func finalState(steps: Int, batchSize: Int, units: Int) -> RecurrentState.Layer {
        let start = (steps - 1) * batchSize * units, count = batchSize * units
        return RecurrentState.Layer(real: (0..<count).map { Double(h.re[start + $0]) },
                                    imaginary: (0..<count).map { Double(h.im[start + $0]) })
    }
}

/// What the single-precision forward pass of one real cell keeps (the buffers of ``RealLayerTape``, plus the
/// Kronecker chain's intermediates).
final class SingleRealTape {
    /// The input half b + W x_t of row r is row `inputIndex?[r] ?? r` of `inputPart` (G·N floats a row): the pass's
    /// own rows, or for embedded tokens the rows of the biased token table (see ``SinglePrecisionPass/LayerInput``).
    var inputPart: FloatBuffer
    var inputIndex: [Int]?
    let gates: FloatBuffer
    let extra: FloatBuffer
    let h: FloatBuffer
    /// h after dropout (the next layer's or the readout's input); `h` itself without dropout.
    let output: FloatBuffer
    let initialH: FloatBuffer
    let initialC: FloatBuffer?
    /// Per worker, Kronecker recurrences only: for every step, x_0 = h_{t−1} in the chain's interleaved layout.
    let chain: [FloatBuffer]
    let stepStride: [Int]

    init(rows: Int, batchSize: Int, layer: LayerArchitecture, initial state: RecurrentState.Layer, chained: Bool,
         columns: [Int], steps: Int, masked: Bool, pool: BufferPool<Float>) {
        let n = layer.hiddenSize, g = layer.gateCount, gated = layer.cell == .lstm || layer.cell == .gru
        inputPart = FloatBuffer(count: 0)  // set by the pass's input projection
        gates = pool.buffer(gated ? rows * g * n : 0, zeroed: false)
        extra = pool.buffer(gated ? rows * n : 0, zeroed: false)
        h = pool.buffer(rows * n, zeroed: false)
        output = masked ? pool.buffer(rows * n, zeroed: false) : h
        initialH = FloatBuffer(state.real.map { Float($0) })
        initialC = layer.cell == .lstm ? FloatBuffer(state.cell.map { Float($0) }) : nil
        stepStride = chained ? columns.map { n * $0 } : []
        chain = stepStride.map { pool.buffer(steps * $0, zeroed: false) }
    }

    func previousH(step t: Int, stream b: Int, batchSize: Int, units n: Int) -> UnsafeMutablePointer<Float> {
        t == 0 ? initialH.base + b * n : h.base + ((t - 1) * batchSize + b) * n
    }

    func previousC(step t: Int, stream b: Int, batchSize: Int, units n: Int) -> UnsafeMutablePointer<Float> {
        t == 0 ? initialC!.base + b * n : extra.base + ((t - 1) * batchSize + b) * n
    }

    func finalState(steps: Int, batchSize: Int, units: Int) -> RecurrentState.Layer {
        let start = (steps - 1) * batchSize * units, count = batchSize * units
        let cell = initialC == nil ? [] : (0..<count).map { Double(extra[start + $0]) }
        return RecurrentState.Layer(real: (0..<count).map { Double(h[start + $0]) }, cell: cell)
    }
}

enum SingleLayerTape {
    case complex(SingleComplexTape)
    case real(SingleRealTape)

    /// The rows the layer passes on (after dropout).
    var output: FloatBuffer {
        switch self {
        case .complex(let tape): tape.output
        case .real(let tape): tape.output
        }
    }
}
