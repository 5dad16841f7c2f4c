/// The single-precision forward and backward passes of a real cell (RNN, LSTM, GRU), dense or Kronecker.
extension SinglePrecisionPass {
    func realSlots(_ l: Int) -> RealLayerSlots {
        guard case .real(let slots) = layout.layers[l] else { preconditionFailure("layer \(l) is not a real cell") }
        return slots
    }

    /// The tape's input side W_ih x_t + b_ih + b_hh (b_hh without the GRU's n gate) for every row: the rows
    /// themselves, or for embedded tokens the V rows of the biased token table (a character model's 64 rows instead
    /// of 1,600 written and read again).
    func projectRealInput(layer l: Int, tape: SingleRealTape) {
        let layer = architecture.layers[l], slots = realSlots(l)
        let n = layer.hiddenSize, gn = layer.gateCount * n
        let biases = slots.biases.map {
            (UnsafePointer(parameters.base + $0.input.offset), UnsafePointer(parameters.base + $0.recurrent.offset))
        }
        let biasRow = pool.buffer(gn, zeroed: false), weight = parameters.base + slots.inputWeight.offset
        PassArithmetic.fillInputBiases(layer.cell, units: n, gates: gn, rows: 1, biases: biases, into: biasRow.base)
        if case .embedded(let tokens, _) = layerInput(l) {
            tape.inputPart = biasedTokenTable(layer: l, weight: weight, width: gn, bias: biasRow.base)
            tape.inputIndex = tokens
        } else {
            tape.inputPart = pool.buffer(rows * gn, zeroed: false)
            tape.inputIndex = nil
            setInputProduct(layer: l, weight: weight, width: gn, bias: biasRow.base, into: tape.inputPart.base)
        }
    }

    /// The GRU's b_hh[n] (the part of b_hh that r multiplies), if the layer has biases.
    private func gruRecurrentBias(_ l: Int) -> UnsafePointer<Float>? {
        guard architecture.layers[l].cell == .gru, let (_, bhh) = realSlots(l).biases else { return nil }
        return UnsafePointer(parameters.base + bhh.offset + 2 * architecture.layers[l].hiddenSize)
    }

    /// Step by step, each worker on its sub-batch: the recurrent products R_g h_{t−1}, then the fused cell step.
    func runRealRecurrence(layer l: Int, tape: SingleRealTape) {
        let layer = architecture.layers[l], chain = chains[l], kernels = kernels
        let n = layer.hiddenSize, gn = layer.gateCount * n, b = batchSize, bias = gruRecurrentBias(l)
        let packed = packedRecurrent[l]?.forward, gates = factors[l]
        let products = partition.ranges.map { pool.buffer($0.count * gn, zeroed: false) }
        let sums = partition.ranges.indices.map { pool.buffer(chain == nil ? 0 : n * columns[$0], zeroed: false) }
        let intermediates = partition.ranges.indices.map {
            pool.buffer((chain?.intermediateLength ?? 0) * columns[$0], zeroed: false)
        }
        partition.run { w, range in
            let count = range.count, c = columns[w], out = products[w].base
            let inputRows = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: count)
            defer { inputRows.deallocate() }
            for t in 0..<steps {
                let first = t * b + range.lowerBound
                for i in 0..<count {
                    inputRows[i] = UnsafePointer(tape.inputPart.base + (tape.inputIndex?[first + i] ?? first + i) * gn)
                }
                let previous = tape.previousH(step: t, stream: range.lowerBound, batchSize: b, units: n)
                if let packed {
                    kernels.smallGemm(m: count, n: gn, k: n, a: previous, lda: n, packed: packed.base, c: out, ldc: gn,
                                      accumulate: false)
                } else {
                    let chain = chain!, x = tape.chain[w].base + t * tape.stepStride[w], sum = sums[w].base
                    kernels.interleave(previous, count: count, units: n, lds: n, into: x, columns: c)
                    for (g, terms) in gates.enumerated() {
                        for (index, term) in terms.enumerated() {
                            chain.forward(term, kernels: kernels, x: Planes(re: x),
                                          intermediates: Planes(re: intermediates[w].base),
                                          y: Planes(re: sum), columns: c, accumulate: index > 0)
                        }
                        kernels.deinterleave(sum, count: count, units: n, columns: c, into: out + g * n, ldd: gn,
                                             accumulate: false)
                    }
                }
                kernels.cellForward(
                    layer.cell, rows: count, units: n, input: inputRows, recurrent: out,
                    recurrentBias: bias, previousH: previous,
                    previousC: tape.initialC == nil ? nil : tape.previousC(step: t, stream: range.lowerBound,
                                                                           batchSize: b, units: n),
                    gates: tape.gates.base + first * gn, extra: tape.extra.base + first * n, h: tape.h.base + first * n)
            }
        }
    }

    /// Backpropagation through real layer `l`: adds every gradient of the layer and returns the gradient of its
    /// input rows when a layer below (or the embedding) needs it.
    func backwardRealLayer(_ l: Int, tape: SingleRealTape, outputGradient: FloatBuffer,
                           into gradient: FloatBuffer) -> FloatBuffer? {
        let layer = architecture.layers[l], slots = realSlots(l), chain = chains[l], kernels = kernels
        let gates = factors[l]
        let n = layer.hiddenSize, gn = layer.gateCount * n, b = batchSize, d = architecture.inputWidth(ofLayer: l)
        let dense = packedRecurrent[l]?.backward
        // Embedded tokens: each worker sums its ā rows per token while they are in cache (the bias gradients and
        // W̄_ih, Ē follow from these V rows); the workers' sums are added in worker order below.
        var embeddedTokens: [Int]?
        if case .embedded(let tokens, _) = layerInput(l) { embeddedTokens = tokens }
        let vocabulary = architecture.vocabulary?.count ?? 0
        let workerTokenSums = embeddedTokens == nil ? [] : partition.ranges.map { _ in
            pool.buffer(vocabulary * gn, zeroed: true)
        }
        // ā of all rows is kept only where something reads it after the sweep: a dense W̄_hh, the GEMMs of real input
        // rows, the GRU's b_hh. Otherwise (a Kronecker LSTM or RNN on tokens) each worker reuses one step's rows, and
        // 1,600 × 4N floats are never written to memory.
        let stepRowsOnly = dense == nil && embeddedTokens != nil && layer.cell != .gru
        let inputSide = pool.buffer(stepRowsOnly ? 0 : rows * gn, zeroed: false)
        let recurrentSide = layer.cell == .gru ? pool.buffer(rows * gn, zeroed: false) : inputSide
        let stepSides = partition.ranges.map { pool.buffer(stepRowsOnly ? $0.count * gn : 0, zeroed: false) }
        // Factor gradients as 8 partial sums per entry per worker (see TrainingKernels.modeGradient), reduced below in
        // worker order: the result does not depend on timing.
        let factorTensors = slots.factors.flatMap { $0.flatMap { $0 } }
        let laneOffsets = factorTensors.reduce(into: [0]) {
            $0.append($0.last! + $1.elementCount * TrainingKernels.gradientLanes)
        }
        let laneGradients = partition.ranges.map { _ in
            pool.buffer(chain == nil ? 0 : laneOffsets.last!, zeroed: true)
        }
        let scratch = partition.ranges.indices.map { w in
            let (count, c, length) = (partition.ranges[w].count, columns[w], chain?.maxLength ?? 0)
            return (carry: pool.buffer(count * n, zeroed: true), cCarry: pool.buffer(count * n, zeroed: true),
                    gradH: pool.buffer(count * n, zeroed: false),
                    interleaved: pool.buffer(chain == nil ? 0 : n * c, zeroed: false),
                    delta: pool.buffer(chain == nil ? 0 : n * c, zeroed: false),
                    chain: (pool.buffer(length * c, zeroed: false), pool.buffer(length * c, zeroed: false)),
                    intermediates: pool.buffer((chain?.intermediateLength ?? 0) * c, zeroed: false))
        }
        partition.run { w, range in
            let count = range.count, c = columns[w], mine = scratch[w]
            let (carry, gradH) = (mine.carry.base, mine.gradH.base)
            var next = 0
            let termGradients = slots.factors.map { terms in
                terms.map { term in
                    term.map { _ in
                        defer { next += 1 }
                        return Planes(re: laneGradients[w].base + laneOffsets[next])
                    }
                }
            }
            for t in stride(from: steps - 1, through: 0, by: -1) {
                let first = t * b + range.lowerBound
                // This step's rows of ā (input side; the recurrent side differs for the GRU only).
                let stepInput = stepRowsOnly ? stepSides[w].base : inputSide.base + first * gn
                let stepRecurrent = stepRowsOnly ? stepSides[w].base : recurrentSide.base + first * gn
                let above = outputGradient.base + first * n
                for i in 0..<count * n { gradH[i] = above[i] + carry[i] }
                let previous = tape.previousH(step: t, stream: range.lowerBound, batchSize: b, units: n)
                kernels.cellBackward(
                    layer.cell, rows: count, units: n, gradH: gradH, gates: tape.gates.base + first * gn,
                    extra: tape.extra.base + first * n, h: tape.h.base + first * n, previousH: previous,
                    previousC: tape.initialC == nil ? nil : tape.previousC(step: t, stream: range.lowerBound,
                                                                           batchSize: b, units: n),
                    cCarry: layer.cell == .lstm ? mine.cCarry.base : nil, hCarry: carry,
                    inputGradient: stepInput, recurrentGradient: stepRecurrent)
                if let tokens = embeddedTokens {
                    for i in 0..<count {
                        let sum = workerTokenSums[w].base + tokens[first + i] * gn, a = stepInput + i * gn
                        for k in 0..<gn { sum[k] += a[k] }
                    }
                }
                if let dense {
                    // h̄_{t−1} += Rᵀ ā; at t = 0 it would be dropped (the truncation). W̄_hh is formed below.
                    guard t > 0 else { continue }
                    kernels.smallGemm(m: count, n: n, k: gn, a: stepRecurrent, lda: gn,
                                      packed: dense.base,
                                      c: carry, ldc: n, accumulate: true)
                    continue
                }
                let chain = chain!, x = tape.chain[w].base + t * tape.stepStride[w]
                let (interleaved, delta) = (mine.interleaved.base, mine.delta.base)
                let intermediates = Planes(re: mine.intermediates.base)
                if t > 0 { interleaved.update(repeating: 0, count: n * c) }
                for (g, terms) in gates.enumerated() {
                    kernels.interleave(stepRecurrent + g * n, count: count, units: n, lds: gn,
                                       into: delta, columns: c)
                    for (index, term) in terms.enumerated() {
                        chain.recompute(term, kernels: kernels, x: Planes(re: x), intermediates: intermediates,
                                        columns: c)
                        chain.backward(term, kernels: kernels, gradients: termGradients[g][index], x: Planes(re: x),
                                       intermediates: intermediates, gradOutput: Planes(re: delta),
                                       scratch: (Planes(re: mine.chain.0.base), Planes(re: mine.chain.1.base)),
                                       gradInput: t > 0 ? Planes(re: interleaved) : nil, columns: c)
                    }
                }
                if t > 0 {
                    kernels.deinterleave(interleaved, count: count, units: n, columns: c, into: carry, ldd: n,
                                         accumulate: true)
                }
            }
        }
        for lanes in laneGradients where lanes.count > 0 {
            for (i, tensor) in factorTensors.enumerated() {
                kernels.reduceLanes(count: tensor.elementCount, lanes: lanes.base + laneOffsets[i],
                                    into: gradient.base + tensor.offset)
            }
        }
        if let denseSlot = slots.denseRecurrent {
            // W̄_hh = Σ_rows ā_h h_{t−1}ᵀ: rows of step 0 meet the initial state, the others the previous step's h.
            let g = gradient.base + denseSlot.offset
            Gemm.multiply(threads: threads, transposeA: true, transposeB: false, m: gn, n: n, k: b,
                          a: recurrentSide.base, lda: gn,
                          b: tape.initialH.base, ldb: n, beta: 1, c: g, ldc: n)
            Gemm.multiply(threads: threads, transposeA: true, transposeB: false, m: gn, n: n, k: rows - b,
                          a: recurrentSide.base + b * gn,
                          lda: gn, b: tape.h.base, ldb: n, beta: 1, c: g, ldc: n)
        }
        let tokenSums = embeddedTokens.map { _ in pool.buffer(vocabulary * gn, zeroed: true) }
        if let tokenSums { PassArithmetic.addInOrder(workerTokenSums, into: tokenSums) }
        if let (bih, bhh) = slots.biases {
            if let tokenSums {
                PassArithmetic.addColumnSums(tokenSums.base, rows: vocabulary, width: gn,
                                             into: gradient.base + bih.offset)
            } else {
                PassArithmetic.addColumnSums(inputSide.base, rows: rows, width: gn, into: gradient.base + bih.offset,
                                             threads: threads)
            }
            if recurrentSide === inputSide {
                // The same sum (b_ih and b_hh meet every row alike, and both gradients start at zero in this pass):
                // copied by adding it once more instead of formed twice.
                PassArithmetic.addColumnSums(gradient.base + bih.offset, rows: 1, width: gn,
                                             into: gradient.base + bhh.offset)
            } else {
                PassArithmetic.addColumnSums(recurrentSide.base, rows: rows, width: gn,
                                             into: gradient.base + bhh.offset, threads: threads)
            }
        }
        // W̄_ih = Āᵀ X; X̄ = Ā W_ih.
        if let tokenSums {
            addTokenGradients(layer: l, tokenSums: tokenSums.base, width: gn,
                              weight: parameters.base + slots.inputWeight.offset,
                              weightGradient: gradient.base + slots.inputWeight.offset, into: gradient)
            return nil
        }
        let inputGradient = needsRowGradient(ofLayer: l) ? pool.buffer(rows * d, zeroed: false) : nil
        addInputGradients(layer: l, inputSide.base, width: gn, weight: parameters.base + slots.inputWeight.offset,
                          weightGradient: gradient.base + slots.inputWeight.offset, inputGradient: inputGradient?.base,
                          accumulate: false, into: gradient)
        return inputGradient.flatMap { passDown($0, fromLayer: l, into: gradient) }
    }
}
