/// The backward pass of a complex `kru` layer.
extension NetworkPass {
    /// Runs the recurrence backwards: returns z̄ for every row and adds the factor, β and b gradients.
    func backwardRecurrence(layer l: Int, tape: ComplexLayerTape, outputGradient: DoubleBuffer,
                            into gradient: DoubleBuffer) -> SplitBuffer {
        let layer = architecture.layers[l], slots = complexSlots(l), chain = chains[l]!, activation = layer.activation!
        let n = layer.hiddenSize, b = batchSize, f = layer.factorShapes.count
        let terms = (0..<layer.rank).map { factorPointers(parameters, layer: l, term: $0) }
        let beta = slots.modReLUBias.map { UnsafePointer(parameters.base + $0.offset) }
        let zGradient = pool.split(rows * n, zeroed: false)  // every row is written before it is read
        // Each worker sums its factor and β gradients privately; they are added in worker order below, so the
        // result does not depend on thread timing.
        let workerGradients = partition.ranges.map { _ in pool.buffer(layout.scalarCount, zeroed: true) }
        partition.run { w, range in
            let count = range.count, length = count * chain.maxLength
            let mine = workerGradients[w]
            let termGradients = (0..<layer.rank).map { factorPointers(mine, layer: l, term: $0) }
            let betaGradient = slots.modReLUBias.map { mine.base + $0.offset }
            let carry = SplitBuffer(count: count * n)  // Kᴴ z̄_{t+1}: the gradient reaching h_t through the recurrence
            let intermediates = (0..<max(f - 1, 0)).map { _ in SplitBuffer(count: length) }
            let deltas = (SplitBuffer(count: length), SplitBuffer(count: length))
            // Raw pointers only below: keep the scratch alive until the loop ends.
            withExtendedLifetime((carry, intermediates, deltas)) {
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    let first = (t * b + range.lowerBound) * n
                    let zBar = zGradient.pointer(at: first)
                    // h̄_t = (from above) + (from step t + 1), gathered into z̄'s slot and transformed in place.
                    for v in 0..<count {
                        let o = outputGradient.base + (t * b + range.lowerBound + v) * 2 * n
                        for i in 0..<n {
                            zBar.re[v * n + i] = o[i] + carry.re[v * n + i]
                            zBar.im[v * n + i] = o[n + i] + carry.im[v * n + i]
                        }
                    }
                    ComplexActivation.backward(activation, z: tape.z.pointer(at: first), h: tape.h.pointer(at: first),
                                               gradH: zBar, gradZ: zBar, batch: count, units: n, beta: beta,
                                               gradBeta: betaGradient)
                    let previous = t == 0 ? tape.initial.pointer(at: range.lowerBound * n)
                                          : tape.h.pointer(at: first - b * n)
                    carry.zero()
                    for (factors, factorGradients) in zip(terms, termGradients) {
                        chain.backward(factors: factors, factorGradients: factorGradients, x: previous,
                                       gradOutput: zBar,
                                       gradInput: t > 0 ? carry.pointer() : nil, batch: count,
                                       intermediates: intermediates.map { $0.pointer() },
                                       deltas: (deltas.0.pointer(), deltas.1.pointer()))
                    }
                }
            }
        }
        PassArithmetic.addInOrder(workerGradients, into: gradient)
        // b̄ = Σ_rows z̄.
        PassArithmetic.addColumnSums(zGradient.re.base, rows: rows, width: n,
                                     into: gradient.base + slots.bias.realOffset)
        PassArithmetic.addColumnSums(zGradient.im.base, rows: rows, width: n,
                                     into: gradient.base + slots.bias.imaginaryOffset)
        return zGradient
    }

    /// Adds Ū (and the embedding's gradient) from z̄; returns the gradient of the layer's real input rows when a
    /// layer below needs it.
    func backwardInput(layer l: Int, preactivationGradient zBar: SplitBuffer,
                       into gradient: DoubleBuffer) -> DoubleBuffer? {
        let slots = complexSlots(l)
        let n = architecture.layers[l].hiddenSize, d = architecture.inputWidth(ofLayer: l)
        let (gr, gi) = (gradient.base + slots.inputWeight.realOffset, gradient.base + slots.inputWeight.imaginaryOffset)
        guard let x = inputRows(ofLayer: l) else {
            // One-hot: Ū[:, token] += z̄.
            for (row, token) in oneHotTokens(ofLayer: l)!.enumerated() {
                for i in 0..<n {
                    gr[i * d + token] += zBar.re[row * n + i]
                    gi[i * d + token] += zBar.im[row * n + i]
                }
            }
            return nil
        }
        // z = U x with real x: Ū = z̄ xᵀ, i.e. Ū_re = Z̄_reᵀ X and Ū_im = Z̄_imᵀ X over all rows.
        Gemm.multiply(transposeA: true, transposeB: false, m: n, n: d, k: rows, a: zBar.re.base, lda: n, b: x, ldb: d,
                      beta: 1, c: gr, ldc: d)
        Gemm.multiply(transposeA: true, transposeB: false, m: n, n: d, k: rows, a: zBar.im.base, lda: n, b: x, ldb: d,
                      beta: 1, c: gi, ldc: d)
        guard needsInputGradient(ofLayer: l) else { return nil }
        // x̄ = Re(Uᴴ z̄) = U_reᵀ z̄_re + U_imᵀ z̄_im, as rows: X̄ = Z̄_re·U_re + Z̄_im·U_im.
        let inputGradient = pool.buffer(rows * d, zeroed: false)  // GEMM with β = 0 overwrites it
        let (ur, ui) = (parameters.base + slots.inputWeight.realOffset,
                        parameters.base + slots.inputWeight.imaginaryOffset)
        Gemm.multiply(transposeA: false, transposeB: false, m: rows, n: d, k: n, a: zBar.re.base, lda: n, b: ur, ldb: d,
                      beta: 0, c: inputGradient.base, ldc: d)
        Gemm.multiply(transposeA: false, transposeB: false, m: rows, n: d, k: n, a: zBar.im.base, lda: n, b: ui, ldb: d,
                      beta: 1, c: inputGradient.base, ldc: d)
        return passDown(inputGradient, fromLayer: l, into: gradient)
    }
}
