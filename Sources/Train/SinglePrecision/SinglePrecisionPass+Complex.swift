/// The single-precision forward and backward passes of a complex `kru` layer.
extension SinglePrecisionPass {
    func complexSlots(_ l: Int) -> ComplexLayerSlots {
        guard case .complex(let slots) = layout.layers[l] else { preconditionFailure("layer \(l) is not a kru layer") }
        return slots
    }

    /// z ← b + U x_t for every row (two real GEMMs: x is real).
    func projectComplexInput(layer l: Int, tape: SingleComplexTape) {
        let slots = complexSlots(l)
        let n = architecture.layers[l].hiddenSize, d = architecture.inputWidth(ofLayer: l)
        let (br, bi) = (parameters.base + slots.bias.realOffset, parameters.base + slots.bias.imaginaryOffset)
        let (ur, ui) = (parameters.base + slots.inputWeight.realOffset, parameters.base + slots.inputWeight.imaginaryOffset)
        for row in 0..<rows {
            (tape.z.re.base + row * n).update(from: br, count: n)
            (tape.z.im.base + row * n).update(from: bi, count: n)
        }
        guard let x = inputRows(ofLayer: l) else {
            for (row, token) in oneHotTokens(ofLayer: l)!.enumerated() {
                let zr = tape.z.re.base + row * n, zi = tape.z.im.base + row * n
                for i in 0..<n {
                    zr[i] += ur[i * d + token]
                    zi[i] += ui[i * d + token]
                }
            }
            return
        }
        Gemm.multiply(threads: threads, transposeA: false, transposeB: true, m: rows, n: n, k: d, a: x, lda: d, b: ur, ldb: d,
                      beta: 1, c: tape.z.re.base, ldc: n)
        Gemm.multiply(threads: threads, transposeA: false, transposeB: true, m: rows, n: n, k: d, a: x, lda: d, b: ui, ldb: d,
                      beta: 1, c: tape.z.im.base, ldc: n)
    }

    /// Step by step, each worker on its sub-batch: z_t += Σ_terms K h_{t−1} (in the interleaved layout, x_0 and the
    /// intermediates kept on the tape), h_t = act(z_t), the output row [Re h_t; Im h_t].
    func runComplexRecurrence(layer l: Int, tape: SingleComplexTape) {
        let layer = architecture.layers[l], chain = chains[l]!, terms = factors[l][0], kernels = kernels
        let n = layer.hiddenSize, b = batchSize, activation = layer.activation!
        let beta = complexSlots(l).modReLUBias.map { UnsafePointer(parameters.base + $0.offset) }
        let sums = partition.ranges.indices.map { pool.split(n * columns[$0], zeroed: false) }
        partition.run { w, range in
            let count = range.count, c = columns[w], stepFloats = tape.stepStride[w], sum = sums[w].pointer()
            for t in 0..<steps {
                let first = (t * b + range.lowerBound) * n
                let previous = t == 0 ? tape.initial.pointer(at: range.lowerBound * n) : tape.h.pointer(at: first - b * n)
                let x = tape.chain[w].pointer(at: t * stepFloats)
                kernels.interleave(previous.re, count: count, units: n, lds: n, into: x.re, columns: c)
                kernels.interleave(previous.im, count: count, units: n, lds: n, into: x.im, columns: c)
                for (index, term) in terms.enumerated() {
                    let intermediates = x.advanced(by: (n + index * chain.intermediateLength) * c)
                    chain.forward(term, kernels: kernels, x: Planes(x), intermediates: Planes(intermediates),
                                  y: Planes(sum), columns: c, accumulate: index > 0)
                }
                let z = tape.z.pointer(at: first), h = tape.h.pointer(at: first)
                kernels.deinterleave(sum.re, count: count, units: n, columns: c, into: z.re, ldd: n, accumulate: true)
                kernels.deinterleave(sum.im, count: count, units: n, columns: c, into: z.im, ldd: n, accumulate: true)
                kernels.activationForward(activation, rows: count, units: n, z: z, beta: beta, h: h)
                for v in 0..<count {
                    let o = tape.output.base + (t * b + range.lowerBound + v) * 2 * n
                    o.update(from: h.re + v * n, count: n)
                    (o + n).update(from: h.im + v * n, count: n)
                }
            }
        }
    }

    /// Runs the recurrence backwards: returns z̄ for every row and adds the factor, β and b gradients.
    func backwardComplexRecurrence(layer l: Int, tape: SingleComplexTape, outputGradient: FloatBuffer,
                                   into gradient: FloatBuffer) -> SplitPlanes<Float> {
        let layer = architecture.layers[l], slots = complexSlots(l), chain = chains[l]!, terms = factors[l][0]
        let n = layer.hiddenSize, b = batchSize, activation = layer.activation!, kernels = kernels
        let beta = slots.modReLUBias.map { UnsafePointer(parameters.base + $0.offset) }
        let zGradient = pool.split(rows * n, zeroed: false)  // every row is written before it is read
        // Per worker: its own factor and β gradients (added in worker order below: no dependence on timing), the
        // carry Kᴴ z̄_{t+1} as rows and interleaved, δ_F and the chain's two scratch buffers.
        let workerGradients = partition.ranges.map { _ in pool.buffer(layout.scalarCount, zeroed: true) }
        let scratch = partition.ranges.indices.map { w in
            (carry: pool.split(partition.ranges[w].count * n, zeroed: true),
             interleaved: pool.split(n * columns[w], zeroed: false), delta: pool.split(n * columns[w], zeroed: false),
             chain: (pool.split(chain.maxLength * columns[w], zeroed: false),
                     pool.split(chain.maxLength * columns[w], zeroed: false)))
        }
        partition.run { w, range in
            let count = range.count, c = columns[w], stepFloats = tape.stepStride[w], mine = workerGradients[w]
            let (carry, interleaved, delta) = (scratch[w].carry.pointer(), scratch[w].interleaved.pointer(),
                                               scratch[w].delta.pointer())
            let buffers = (Planes(scratch[w].chain.0.pointer()), Planes(scratch[w].chain.1.pointer()))
            let termGradients = slots.factors.map { term in
                term.map { Planes(re: mine.base + $0.realOffset, im: mine.base + $0.imaginaryOffset) }
            }
            let betaGradient = slots.modReLUBias.map { mine.base + $0.offset }
            for t in stride(from: steps - 1, through: 0, by: -1) {
                let first = (t * b + range.lowerBound) * n
                let zBar = zGradient.pointer(at: first)
                // h̄_t = (from above) + (from step t + 1), gathered into z̄'s rows and transformed in place.
                for v in 0..<count {
                    let o = outputGradient.base + (t * b + range.lowerBound + v) * 2 * n
                    for i in 0..<n {
                        zBar.re[v * n + i] = o[i] + carry.re[v * n + i]
                        zBar.im[v * n + i] = o[n + i] + carry.im[v * n + i]
                    }
                }
                kernels.activationBackward(activation, rows: count, units: n, z: tape.z.pointer(at: first),
                                           h: tape.h.pointer(at: first), beta: beta, gradH: zBar, gradZ: zBar,
                                           gradBeta: betaGradient)
                kernels.interleave(zBar.re, count: count, units: n, lds: n, into: delta.re, columns: c)
                kernels.interleave(zBar.im, count: count, units: n, lds: n, into: delta.im, columns: c)
                if t > 0 {
                    interleaved.re.update(repeating: 0, count: n * c)
                    interleaved.im.update(repeating: 0, count: n * c)
                }
                let x = tape.chain[w].pointer(at: t * stepFloats)
                for (index, term) in terms.enumerated() {
                    let intermediates = x.advanced(by: (n + index * chain.intermediateLength) * c)
                    chain.backward(term, kernels: kernels, gradients: termGradients[index], x: Planes(x),
                                   intermediates: Planes(intermediates), gradOutput: Planes(delta), scratch: buffers,
                                   gradInput: t > 0 ? Planes(interleaved) : nil, columns: c)
                }
                if t > 0 {
                    kernels.deinterleave(interleaved.re, count: count, units: n, columns: c, into: carry.re, ldd: n,
                                         accumulate: false)
                    kernels.deinterleave(interleaved.im, count: count, units: n, columns: c, into: carry.im, ldd: n,
                                         accumulate: false)
                }
            }
        }
        addWorkerGradients(workerGradients, into: gradient)
        // b̄ = Σ_rows z̄.
        let (br, bi) = (gradient.base + slots.bias.realOffset, gradient.base + slots.bias.imaginaryOffset)
        for row in 0..<rows {
            for i in 0..<n {
                br[i] += zGradient.re[row * n + i]
                bi[i] += zGradient.im[row * n + i]
            }
        }
        return zGradient
    }

    /// Adds Ū (and the embedding's gradient) from z̄; returns the gradient of the layer's real input rows when a
    /// layer below needs it.
    func backwardComplexInput(layer l: Int, preactivationGradient zBar: SplitPlanes<Float>,
                              into gradient: FloatBuffer) -> FloatBuffer? {
        let slots = complexSlots(l)
        let n = architecture.layers[l].hiddenSize, d = architecture.inputWidth(ofLayer: l)
        let (gr, gi) = (gradient.base + slots.inputWeight.realOffset, gradient.base + slots.inputWeight.imaginaryOffset)
        guard let x = inputRows(ofLayer: l) else {
            for (row, token) in oneHotTokens(ofLayer: l)!.enumerated() {
                for i in 0..<n {
                    gr[i * d + token] += zBar.re[row * n + i]
                    gi[i * d + token] += zBar.im[row * n + i]
                }
            }
            return nil
        }
        Gemm.multiply(threads: threads, transposeA: true, transposeB: false, m: n, n: d, k: rows, a: zBar.re.base, lda: n, b: x, ldb: d,
                      beta: 1, c: gr, ldc: d)
        Gemm.multiply(threads: threads, transposeA: true, transposeB: false, m: n, n: d, k: rows, a: zBar.im.base, lda: n, b: x, ldb: d,
                      beta: 1, c: gi, ldc: d)
        guard needsInputGradient(ofLayer: l) else { return nil }
        // x̄ = Re(Uᴴ z̄) = Z̄_re·U_re + Z̄_im·U_im.
        let inputGradient = pool.buffer(rows * d, zeroed: false)
        let (ur, ui) = (parameters.base + slots.inputWeight.realOffset, parameters.base + slots.inputWeight.imaginaryOffset)
        Gemm.multiply(threads: threads, transposeA: false, transposeB: false, m: rows, n: d, k: n, a: zBar.re.base, lda: n, b: ur, ldb: d,
                      beta: 0, c: inputGradient.base, ldc: d)
        Gemm.multiply(threads: threads, transposeA: false, transposeB: false, m: rows, n: d, k: n, a: zBar.im.base, lda: n, b: ui, ldb: d,
                      beta: 1, c: inputGradient.base, ldc: d)
        return passDown(inputGradient, fromLayer: l, into: gradient)
    }
}

extension Planes {
    init(_ split: SplitPlanesPointer<Float>) { self.init(re: split.re, im: split.im) }
}
