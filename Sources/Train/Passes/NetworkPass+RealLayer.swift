/// The forward and backward passes of a real cell (RNN, LSTM, GRU), dense or Kronecker.
extension NetworkPass {
    /// The slots of real layer `l`.
    func realSlots(_ l: Int) -> RealLayerSlots {
        guard case .real(let slots) = layout.layers[l] else { preconditionFailure("layer \(l) is not a real cell") }
        return slots
    }

    /// inputPart ← W_ih x_t + b_ih + b_hh (b_hh without the GRU's n gate) for every row.
    func projectRealInput(layer l: Int, tape: RealLayerTape) {
        let layer = architecture.layers[l], slots = realSlots(l)
        let n = layer.hiddenSize, gn = layer.gateCount * n, d = architecture.inputWidth(ofLayer: l)
        let out = tape.inputPart.base
        let biases = slots.biases.map {
            (UnsafePointer(parameters.base + $0.input.offset), UnsafePointer(parameters.base + $0.recurrent.offset))
        }
        PassArithmetic.fillInputBiases(layer.cell, units: n, gates: gn, rows: rows, biases: biases, into: out)
        let w = parameters.base + slots.inputWeight.offset
        guard let x = inputRows(ofLayer: l) else {
            for (row, token) in oneHotTokens(ofLayer: l)!.enumerated() {
                let a = out + row * gn
                for k in 0..<gn { a[k] += w[k * d + token] }
            }
            return
        }
        Gemm.multiply(transposeA: false, transposeB: true, m: rows, n: gn, k: d, a: x, lda: d, b: w, ldb: d,
                      beta: 1, c: out, ldc: gn)
    }

    /// The GRU's b_hh[n] (the part of b_hh that r multiplies), if the layer has biases.
    private func gruRecurrentBias(_ l: Int) -> UnsafePointer<Double>? {
        guard architecture.layers[l].cell == .gru, let (_, bhh) = realSlots(l).biases else { return nil }
        return UnsafePointer(parameters.base + bhh.offset + 2 * architecture.layers[l].hiddenSize)
    }

    /// Step by step, each worker on its sub-batch: R h_{t−1}, then the cell.
    func runRealRecurrence(layer l: Int, tape: RealLayerTape) {
        let layer = architecture.layers[l], slots = realSlots(l), chain = chains[l]
        let n = layer.hiddenSize, gn = layer.gateCount * n, b = batchSize
        let bias = gruRecurrentBias(l)
        partition.run { _, range in
            let count = range.count
            let recurrence = RealRecurrence(layer: layer, slots: slots, chain: chain, parameters: parameters.base,
                                            count: count)
            let products = DoubleBuffer(count: count * gn)
            withExtendedLifetime(products) {
                for t in 0..<steps {
                    let first = t * b + range.lowerBound
                    recurrence.apply(h: tape.previousH(step: t, stream: range.lowerBound, batchSize: b, units: n),
                                     into: products.base)
                    for v in 0..<count {
                        let row = first + v
                        RealCell.forward(
                            layer.cell, units: n, inputPart: tape.inputPart.base + row * gn,
                            recurrent: products.base + v * gn, gruRecurrentBias: bias,
                            previousH: tape.previousH(step: t, stream: range.lowerBound + v, batchSize: b, units: n),
                            previousC: tape.initialC == nil
                                ? nil : tape.previousC(step: t, stream: range.lowerBound + v, batchSize: b, units: n),
                            gates: tape.gates.base + row * gn, extra: tape.extra.base + row * n,
                            h: tape.h.base + row * n)
                    }
                }
            }
        }
    }

    /// Backpropagation through real layer `l`: adds every gradient of the layer and returns the gradient of its
    /// input rows when a layer below (or the embedding) needs it.
    func backwardRealLayer(_ l: Int, tape: RealLayerTape, outputGradient: DoubleBuffer,
                           into gradient: DoubleBuffer) -> DoubleBuffer? {
        let layer = architecture.layers[l], slots = realSlots(l), chain = chains[l]
        let n = layer.hiddenSize, gn = layer.gateCount * n, b = batchSize, d = architecture.inputWidth(ofLayer: l)
        // ā of the input side and of the recurrent products (different only in the GRU's n gate).
        let inputSide = pool.buffer(rows * gn, zeroed: false)
        let recurrentSide = layer.cell == .gru ? pool.buffer(rows * gn, zeroed: false) : inputSide
        // Factor gradients are summed per worker and added in worker order: the result does not depend on timing.
        let workerGradients = partition.ranges.map { _ in
            chain == nil ? nil : pool.buffer(layout.scalarCount, zeroed: true)
        }
        partition.run { w, range in
            let count = range.count
            let recurrence = RealRecurrence(layer: layer, slots: slots, chain: chain, parameters: parameters.base,
                                            count: count)
            let carry = DoubleBuffer(count: count * n)  // the gradient reaching h_t from step t + 1
            let gradH = DoubleBuffer(count: n)
            let cCarry = layer.cell == .lstm ? DoubleBuffer(count: count * n) : nil
            withExtendedLifetime((carry, gradH, cCarry)) {
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    let first = t * b + range.lowerBound
                    for v in 0..<count {
                        let row = first + v, stream = range.lowerBound + v
                        let above = outputGradient.base + row * n
                        for k in 0..<n { gradH[k] = above[k] + carry[v * n + k] }
                        RealCell.backward(
                            layer.cell, units: n, gradH: gradH.base, gates: tape.gates.base + row * gn,
                            extra: tape.extra.base + row * n, h: tape.h.base + row * n,
                            previousH: tape.previousH(step: t, stream: stream, batchSize: b, units: n),
                            previousC: tape.initialC == nil
                                ? nil : tape.previousC(step: t, stream: stream, batchSize: b, units: n),
                            cCarry: cCarry.map { $0.base + v * n }, hCarry: carry.base + v * n,
                            inputGradient: inputSide.base + row * gn, recurrentGradient: recurrentSide.base + row * gn)
                    }
                    guard t > 0 || chain != nil else { continue }  // a dense W̄_hh is formed below; h̄_{−1} is dropped
                    recurrence.backward(h: tape.previousH(step: t, stream: range.lowerBound, batchSize: b, units: n),
                                        gradOutput: recurrentSide.base + first * gn, carry: carry.base,
                                        gradient: workerGradients[w]?.base ?? gradient.base)
                }
            }
        }
        PassArithmetic.addInOrder(workerGradients.compactMap { $0 }, into: gradient)
        if let dense = slots.denseRecurrent {
            // W̄_hh = Σ_rows ā_h h_{t−1}ᵀ: rows of step 0 meet the initial state, the others the previous step's h.
            let g = gradient.base + dense.offset
            Gemm.multiply(transposeA: true, transposeB: false, m: gn, n: n, k: b, a: recurrentSide.base, lda: gn,
                          b: tape.initialH.base, ldb: n, beta: 1, c: g, ldc: n)
            Gemm.multiply(transposeA: true, transposeB: false, m: gn, n: n, k: rows - b, a: recurrentSide.base + b * gn,
                          lda: gn, b: tape.h.base, ldb: n, beta: 1, c: g, ldc: n)
        }
        if let (bih, bhh) = slots.biases {
            PassArithmetic.addColumnSums(inputSide.base, rows: rows, width: gn, into: gradient.base + bih.offset)
            PassArithmetic.addColumnSums(recurrentSide.base, rows: rows, width: gn, into: gradient.base + bhh.offset)
        }
        let w = gradient.base + slots.inputWeight.offset
        guard let x = inputRows(ofLayer: l) else {
            for (row, token) in oneHotTokens(ofLayer: l)!.enumerated() {
                for k in 0..<gn { w[k * d + token] += inputSide[row * gn + k] }
            }
            return nil
        }
        // W̄_ih = Āᵀ X; X̄ = Ā W_ih.
        Gemm.multiply(transposeA: true, transposeB: false, m: gn, n: d, k: rows, a: inputSide.base, lda: gn,
                      b: x, ldb: d,
                      beta: 1, c: w, ldc: d)
        guard needsInputGradient(ofLayer: l) else { return nil }
        let inputGradient = pool.buffer(rows * d, zeroed: false)  // GEMM with β = 0 overwrites it
        Gemm.multiply(transposeA: false, transposeB: false, m: rows, n: d, k: gn, a: inputSide.base, lda: gn,
                      b: parameters.base + slots.inputWeight.offset, ldb: d, beta: 0, c: inputGradient.base, ldc: d)
        return passDown(inputGradient, fromLayer: l, into: gradient)
    }
}
