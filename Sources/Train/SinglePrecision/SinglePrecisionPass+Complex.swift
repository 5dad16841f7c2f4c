/// The single-precision forward and backward passes of a complex `kru` layer.
extension SinglePrecisionPass {
    func complexSlots(_ l: Int) -> ComplexLayerSlots {
        guard case .complex(let slots) = layout.layers[l] else { preconditionFailure("layer \(l) is not a kru layer") }
        return slots
    }

    /// z ← b + U x_t for every row (two real GEMMs: x is real).
    func projectComplexInput(layer l: Int, tape: SingleComplexTape) {
        let slots = complexSlots(l)
        let n = architecture.layers[l].hiddenSize
        let (br, bi) = (parameters.base + slots.bias.realOffset, parameters.base + slots.bias.imaginaryOffset)
        let (ur, ui) = (parameters.base + slots.inputWeight.realOffset,
                        parameters.base + slots.inputWeight.imaginaryOffset)
        // x is real: one product per plane of U.
        setInputProduct(layer: l, weight: ur, width: n, bias: br, into: tape.z.re.base)
        setInputProduct(layer: l, weight: ui, width: n, bias: bi, into: tape.z.im.base)
    }

    /// Step by step, each worker on its sub-batch: z_t += Σ_terms K h_{t−1} (in the interleaved layout, x_0 and the
    /// intermediates kept on the tape), h_t = act(z_t), the output row [Re h_t; Im h_t].
    func runComplexRecurrence(layer l: Int, tape: SingleComplexTape) {
        let layer = architecture.layers[l], chain = chains[l]!, terms = factors[l][0], kernels = kernels
        let n = layer.hiddenSize, b = batchSize, activation = layer.activation!
        let beta = complexSlots(l).modReLUBias.map { UnsafePointer(parameters.base + $0.offset) }
        let sums = partition.ranges.indices.map { pool.split(n * columns[$0], zeroed: false) }
        let intermediates = partition.ranges.indices.map {
            pool.split(chain.intermediateLength * columns[$0], zeroed: false)
        }
        partition.run { w, range in
            let count = range.count, c = columns[w], stepFloats = tape.stepStride[w], sum = sums[w].pointer()
            for t in 0..<steps {
                let first = (t * b + range.lowerBound) * n
                let previous = t == 0 ? tape.initial.pointer(at: range.lowerBound * n)
                    : tape.h.pointer(at: first - b * n)
                let x = tape.chain[w].pointer(at: t * stepFloats)
                kernels.interleave(previous.re, count: count, units: n, lds: n, into: x.re, columns: c)
                kernels.interleave(previous.im, count: count, units: n, lds: n, into: x.im, columns: c)
                for (index, term) in terms.enumerated() {
                    chain.forward(term, kernels: kernels, x: Planes(x),
                                  intermediates: Planes(intermediates[w].pointer()), y: Planes(sum), columns: c,
                                  accumulate: index > 0)
                }
                let z = tape.z.pointer(at: first), h = tape.h.pointer(at: first)
                kernels.deinterleave(sum.re, count: count, units: n, columns: c, into: z.re, ldd: n, accumulate: true)
                kernels.deinterleave(sum.im, count: count, units: n, columns: c, into: z.im, ldd: n, accumulate: true)
                kernels.activationForward(activation, rows: count, units: n, z: z, beta: beta, h: h,
                                          output: tape.output.base + (t * b + range.lowerBound) * 2 * n)
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
            // The carry is written at step t + 1 before step t reads it.
            (carry: pool.split(partition.ranges[w].count * n, zeroed: false),
             interleaved: pool.split(n * columns[w], zeroed: false), delta: pool.split(n * columns[w], zeroed: false),
             chain: (pool.split(chain.maxLength * columns[w], zeroed: false),
                     pool.split(chain.maxLength * columns[w], zeroed: false)),
             intermediates: pool.split(chain.intermediateLength * columns[w], zeroed: false))
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
                // h̄_t = (from above) + (from step t + 1), through the activation.
                kernels.activationBackward(activation, rows: count, units: n, z: tape.z.pointer(at: first),
                                           h: tape.h.pointer(at: first), beta: beta,
                                           outputGradient: outputGradient.base + (t * b + range.lowerBound) * 2 * n,
                                           carry: t < steps - 1 ? carry : nil, gradZ: zBar, gradBeta: betaGradient)
                kernels.interleave(zBar.re, count: count, units: n, lds: n, into: delta.re, columns: c)
                kernels.interleave(zBar.im, count: count, units: n, lds: n, into: delta.im, columns: c)
                if t > 0 {
                    interleaved.re.update(repeating: 0, count: n * c)
                    interleaved.im.update(repeating: 0, count: n * c)
                }
                let x = tape.chain[w].pointer(at: t * stepFloats)
                let intermediates = Planes(scratch[w].intermediates.pointer())
                for (index, term) in terms.enumerated() {
                    chain.recompute(term, kernels: kernels, x: Planes(x), intermediates: intermediates, columns: c)
                    chain.backward(term, kernels: kernels, gradients: termGradients[index], x: Planes(x),
                                   intermediates: intermediates, gradOutput: Planes(delta), scratch: buffers,
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
        PassArithmetic.addInOrder(workerGradients, into: gradient, threads: threads)
        // b̄ = Σ_rows z̄.
        PassArithmetic.addColumnSums(zGradient.re.base, rows: rows, width: n,
                                     into: gradient.base + slots.bias.realOffset, threads: threads)
        PassArithmetic.addColumnSums(zGradient.im.base, rows: rows, width: n,
                                     into: gradient.base + slots.bias.imaginaryOffset, threads: threads)
        return zGradient
    }

    /// Adds Ū (and the embedding's gradient) from z̄; returns the gradient of the layer's real input rows when a
    /// layer below needs it.
    func backwardComplexInput(layer l: Int, preactivationGradient zBar: SplitPlanes<Float>,
                              into gradient: FloatBuffer) -> FloatBuffer? {
        let slots = complexSlots(l)
        let n = architecture.layers[l].hiddenSize, d = architecture.inputWidth(ofLayer: l)
        let (gr, gi) = (gradient.base + slots.inputWeight.realOffset, gradient.base + slots.inputWeight.imaginaryOffset)
        let (ur, ui) = (parameters.base + slots.inputWeight.realOffset,
                        parameters.base + slots.inputWeight.imaginaryOffset)
        // z = U x with real x: Ū = z̄ xᵀ per plane, x̄ = Re(Uᴴ z̄) = Z̄_re·U_re + Z̄_im·U_im.
        let inputGradient = needsRowGradient(ofLayer: l) ? pool.buffer(rows * d, zeroed: false) : nil
        addInputGradients(layer: l, zBar.re.base, width: n, weight: ur, weightGradient: gr,
                          inputGradient: inputGradient?.base,
                          accumulate: false, into: gradient)
        addInputGradients(layer: l, zBar.im.base, width: n, weight: ui, weightGradient: gi,
                          inputGradient: inputGradient?.base,
                          accumulate: true, into: gradient)
        return inputGradient.flatMap { passDown($0, fromLayer: l, into: gradient) }
    }
}

extension Planes {
    init(_ split: SplitPlanesPointer<Float>) { self.init(re: split.re, im: split.im) }
}
