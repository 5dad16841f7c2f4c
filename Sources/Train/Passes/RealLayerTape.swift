/// What the forward pass of one real cell (RNN, LSTM, GRU) keeps for the backward pass, for a chunk of T steps and
/// B streams (row `t·B + b`).
final class RealLayerTape {
    /// The input side of every gate's pre-activation, T·B × G·N: W_ih x_t + b_ih, plus b_hh for every gate whose
    /// recurrent part is simply added (all but the GRU's n gate, whose b_hh sits inside r ⊙ (R_2 h + b_hh)).
    let inputPart: DoubleBuffer
    /// The gates after their nonlinearity, T·B × G·N (LSTM: i, f, g, o; GRU: r, z, n); empty for RNNs, whose
    /// derivative comes from h.
    let gates: DoubleBuffer
    /// LSTM: the cell state c_t, T·B × N. GRU: R_2 h_{t−1} + b_hh[2], the term r multiplies. Empty for RNNs.
    let extra: DoubleBuffer
    /// h_t, T·B × N.
    let h: DoubleBuffer
    /// h after dropout (the next layer's or the readout's input); `h` itself without dropout.
    let output: DoubleBuffer
    /// h_{−1} (and, for an LSTM, c_{−1}), the state the chunk starts from, B × N.
    let initialH: DoubleBuffer
    let initialC: DoubleBuffer?

    /// Every buffer comes unzeroed from `pool`: the forward pass writes each element before reading it.
    init(rows: Int, batchSize: Int, layer: LayerArchitecture, initial state: RecurrentState.Layer, masked: Bool,
         pool: BufferPool<Double>) {
        let n = layer.hiddenSize, g = layer.gateCount
        inputPart = pool.buffer(rows * g * n, zeroed: false)
        gates = pool.buffer(layer.cell == .lstm || layer.cell == .gru ? rows * g * n : 0, zeroed: false)
        extra = pool.buffer(layer.cell == .lstm || layer.cell == .gru ? rows * n : 0, zeroed: false)
        h = pool.buffer(rows * n, zeroed: false)
        output = masked ? pool.buffer(rows * n, zeroed: false) : h
        initialH = DoubleBuffer(state.real)
        initialC = layer.cell == .lstm ? DoubleBuffer(state.cell) : nil
    }

    /// h_{t−1} of stream `b` (of B) at step t: the previous row of ``h`` or the initial state.
    func previousH(step t: Int, stream b: Int, batchSize: Int, units n: Int) -> UnsafeMutablePointer<Double> {
        t == 0 ? initialH.base + b * n : h.base + ((t - 1) * batchSize + b) * n
    }

    /// c_{t−1} of an LSTM stream.
    func previousC(step t: Int, stream b: Int, batchSize: Int, units n: Int) -> UnsafeMutablePointer<Double> {
        t == 0 ? initialC!.base + b * n : extra.base + ((t - 1) * batchSize + b) * n
    }

    /// The state after the last step, to carry to the next chunk.
    func finalState(steps: Int, batchSize: Int, units: Int) -> RecurrentState.Layer {
        let start = (steps - 1) * batchSize * units, count = batchSize * units
        let cell = initialC == nil ? [] : Array(UnsafeBufferPointer(start: extra.base + start, count: count))
        return RecurrentState.Layer(real: Array(UnsafeBufferPointer(start: h.base + start, count: count)), cell: cell)
    }
}
