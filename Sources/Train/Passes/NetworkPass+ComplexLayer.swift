/// The forward pass of a complex `kru` layer.
extension NetworkPass {
    /// The slots of `kru` layer `l`.
    func complexSlots(_ l: Int) -> ComplexLayerSlots {
        guard case .complex(let slots) = layout.layers[l] else { preconditionFailure("layer \(l) is not a kru layer") }
        return slots
    }

    /// Pointers to the factors of term `t` of `kru` layer `l` inside `buffer` (parameters or a gradient).
    func factorPointers(_ buffer: DoubleBuffer, layer l: Int, term t: Int) -> [SplitPointer] {
        complexSlots(l).factors[t].map {
            SplitPointer(re: buffer.base + $0.realOffset, im: buffer.base + $0.imaginaryOffset)
        }
    }

    /// z ← b + U x_t for every row.
    func projectInput(layer l: Int, tape: ComplexLayerTape) {
        let slots = complexSlots(l)
        let n = architecture.layers[l].hiddenSize, d = architecture.inputWidth(ofLayer: l)
        let (br, bi) = (parameters.base + slots.bias.realOffset, parameters.base + slots.bias.imaginaryOffset)
        let (ur, ui) = (parameters.base + slots.inputWeight.realOffset,
                        parameters.base + slots.inputWeight.imaginaryOffset)
        for row in 0..<rows {
            (tape.z.re.base + row * n).update(from: br, count: n)
            (tape.z.im.base + row * n).update(from: bi, count: n)
        }
        guard let x = inputRows(ofLayer: l) else {
            // One-hot input: add column `token` of U (never form the one-hot vector).
            for (row, token) in oneHotTokens(ofLayer: l)!.enumerated() {
                let zr = tape.z.re.base + row * n, zi = tape.z.im.base + row * n
                for i in 0..<n {
                    zr[i] += ur[i * d + token]
                    zi[i] += ui[i * d + token]
                }
            }
            return
        }
        // Z (rows × N) += X (rows × D) · Uᵀ, once for each plane of U (x is real).
        Gemm.multiply(transposeA: false, transposeB: true, m: rows, n: n, k: d, a: x, lda: d, b: ur, ldb: d,
                      beta: 1, c: tape.z.re.base, ldc: n)
        Gemm.multiply(transposeA: false, transposeB: true, m: rows, n: n, k: d, a: x, lda: d, b: ui, ldb: d,
                      beta: 1, c: tape.z.im.base, ldc: n)
    }

    /// z_t += Σ_terms K h_{t−1}; h_t = act(z_t), step by step, each worker on its sub-batch.
    func runRecurrence(layer l: Int, tape: ComplexLayerTape) {
        let layer = architecture.layers[l], slots = complexSlots(l), chain = chains[l]!, activation = layer.activation!
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
                    let previous = t == 0 ? tape.initial.pointer(at: range.lowerBound * n)
                                          : tape.h.pointer(at: first - b * n)
                    let z = tape.z.pointer(at: first), h = tape.h.pointer(at: first)
                    for factors in terms {
                        chain.apply(factors: factors, x: previous, y: z, batch: count,
                                    scratch: (scratch.0.pointer(), scratch.1.pointer()), accumulate: true)
                    }
                    ComplexActivation.forward(activation, z: z, h: h, batch: count, units: n, beta: beta)
                    for v in 0..<count {
                        let o = tape.output.base + (t * b + range.lowerBound + v) * 2 * n
                        o.update(from: h.re + v * n, count: n)
                        (o + n).update(from: h.im + v * n, count: n)
                    }
                }
            }
        }
    }
}
