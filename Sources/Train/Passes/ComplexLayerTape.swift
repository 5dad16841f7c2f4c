/// What the forward pass of one `kru` layer keeps for the backward pass, for a chunk of T steps and B streams
/// (row `t·B + b`, N complex units or 2N real outputs per row).
final class ComplexLayerTape {
    /// The pre-activation z_t = Σ K h_{t−1} + U x_t + b.
    let z: SplitBuffer
    /// The state h_t = act(z_t).
    let h: SplitBuffer
    /// The layer's output [Re h_t; Im h_t] per row (after dropout when the pass has masks): the next layer's input
    /// or the readout's.
    let output: DoubleBuffer
    /// h_{−1}, the state the chunk starts from.
    let initial: SplitBuffer

    /// Every buffer comes unzeroed from `pool`: the forward pass writes each element before reading it.
    init(rows: Int, batchSize: Int, units: Int, initial state: RecurrentState.Layer, pool: BufferPool<Double>) {
        z = pool.split(rows * units, zeroed: false)
        h = pool.split(rows * units, zeroed: false)
        output = pool.buffer(rows * 2 * units, zeroed: false)
        initial = pool.split(batchSize * units, zeroed: false)
        precondition(state.real.count == batchSize * units, "the carried state does not fit the batch")
        state.real.withUnsafeBufferPointer { initial.re.base.update(from: $0.baseAddress!, count: $0.count) }
        state.imaginary.withUnsafeBufferPointer { initial.im.base.update(from: $0.baseAddress!, count: $0.count) }
    }

    /// h after the last step, as a state to carry to the next chunk.
    func finalState(steps: Int, batchSize: Int, units: Int) -> RecurrentState.Layer {
        let start = (steps - 1) * batchSize * units, count = batchSize * units
        return RecurrentState.Layer(real: Array(UnsafeBufferPointer(start: h.re.base + start, count: count)),
                                    imaginary: Array(UnsafeBufferPointer(start: h.im.base + start, count: count)))
    }
}
