/// The recurrent products R_g h_{t−1} of a real cell for one worker's `count` streams, and their backward pass.
///
/// Dense: one GEMM per step against the G·N × N matrix. Kronecker: each block Σ_t ⊗_f W_{g,t,f} runs through the
/// complex ``KroneckerChain`` with zero imaginary planes — exact for real data (every imaginary term is a product
/// with an exact zero), so the real and complex cells share one chain and one set of gradient formulas; the
/// imaginary results land in scratch planes that nobody reads.
///
/// Rows are batch-major with G·N entries, gate g at `g·N` (the layout of ``RealLayerTape/inputPart``).
final class RealRecurrence {
    private let units: Int
    private let gateCount: Int
    private let count: Int
    private let dense: UnsafePointer<Double>?
    private let chain: KroneckerChain?
    /// Kronecker: the real planes of `factors[gate][term][factor]` in the parameters, and their flat offsets.
    private let factorOffsets: [[[Int]]]
    private let parameters: UnsafePointer<Double>
    // Kronecker scratch: zeros for every imaginary input plane, sinks for imaginary outputs, per-gate vectors.
    private let zeros: DoubleBuffer
    private let sink: DoubleBuffer
    private let gateVectors: DoubleBuffer
    private let scratch: (SplitBuffer, SplitBuffer)
    private let intermediates: [SplitBuffer]

    init(layer: LayerArchitecture, slots: RealLayerSlots, chain: KroneckerChain?, parameters: UnsafePointer<Double>,
         count: Int) {
        units = layer.hiddenSize
        gateCount = layer.gateCount
        self.count = count
        self.parameters = parameters
        self.chain = chain
        dense = slots.denseRecurrent.map { parameters + $0.offset }
        factorOffsets = slots.factors.map { $0.map { $0.map(\.offset) } }
        let length = count * (chain?.maxLength ?? 0)
        let largestFactor = layer.factorShapes.map(\.entryCount).max() ?? 0
        zeros = DoubleBuffer(count: max(count * units, largestFactor))
        sink = DoubleBuffer(count: max(length, largestFactor))
        gateVectors = DoubleBuffer(count: chain == nil ? 0 : count * units)
        scratch = (SplitBuffer(count: length), SplitBuffer(count: length))
        intermediates = (0..<max((chain?.factorCount ?? 1) - 1, 0)).map { _ in SplitBuffer(count: length) }
    }

    private func real(_ p: UnsafeMutablePointer<Double>) -> SplitPointer { SplitPointer(re: p, im: zeros.base) }
    private func factors(gate g: Int, term t: Int, in base: UnsafePointer<Double>,
                         imaginary: UnsafeMutablePointer<Double>) -> [SplitPointer] {
        factorOffsets[g][t].map { SplitPointer(re: UnsafeMutablePointer(mutating: base + $0), im: imaginary) }
    }

    /// out (count × G·N) = R h (h: count × N).
    func apply(h: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        let n = units, gn = gateCount * units
        if let dense {
            Gemm.multiply(transposeA: false, transposeB: true, m: count, n: gn, k: n, a: h, lda: n, b: dense, ldb: n,
                          beta: 0, c: out, ldc: gn)
            return
        }
        let chain = chain!, x = real(UnsafeMutablePointer(mutating: h))
        withExtendedLifetime((zeros, sink, gateVectors, scratch)) {
            for g in 0..<gateCount {
                for t in factorOffsets[g].indices {
                    chain.apply(factors: factors(gate: g, term: t, in: parameters, imaginary: zeros.base), x: x,
                                y: SplitPointer(re: gateVectors.base, im: sink.base), batch: count,
                                scratch: (scratch.0.pointer(), scratch.1.pointer()), accumulate: t > 0)
                }
                for v in 0..<count { (out + v * gn + g * n).update(from: gateVectors.base + v * n, count: n) }
            }
        }
    }

    /// Backward through out = R h: carry (count × N) += Rᵀ ā (ā: count × G·N); for a Kronecker recurrence also
    /// adds each factor's gradient into `gradient` (a flat parameter-layout buffer). A dense W̄_hh is left to the
    /// caller, who forms it for all rows at once.
    func backward(h: UnsafePointer<Double>, gradOutput a: UnsafePointer<Double>, carry: UnsafeMutablePointer<Double>,
                  gradient: UnsafeMutablePointer<Double>) {
        let n = units, gn = gateCount * units
        if let dense {
            Gemm.multiply(transposeA: false, transposeB: false, m: count, n: n, k: gn, a: a, lda: gn, b: dense, ldb: n,
                          beta: 1, c: carry, ldc: n)
            return
        }
        let chain = chain!, x = real(UnsafeMutablePointer(mutating: h))
        withExtendedLifetime((zeros, sink, gateVectors, scratch, intermediates)) {
            for g in 0..<gateCount {
                for v in 0..<count { (gateVectors.base + v * n).update(from: a + v * gn + g * n, count: n) }
                for t in factorOffsets[g].indices {
                    chain.backward(factors: factors(gate: g, term: t, in: parameters, imaginary: zeros.base),
                                   factorGradients: factors(gate: g, term: t, in: gradient, imaginary: sink.base),
                                   x: x, gradOutput: real(gateVectors.base),
                                   gradInput: SplitPointer(re: carry, im: sink.base), batch: count,
                                   intermediates: intermediates.map { $0.pointer() },
                                   deltas: (scratch.0.pointer(), scratch.1.pointer()))
                }
            }
        }
    }
}
