extension NetworkPass {
    /// Backpropagation through the chunk, given ∂L/∂y for every row of ``logits`` (T·B × K). Returns the gradient
    /// of every parameter in flat layout order (complex slots: ∂L/∂Re then ∂L/∂Im). The gradient with respect to
    /// the chunk's initial state is dropped: that is the truncation of truncated BPTT.
    func backward(logitGradient: DoubleBuffer) -> DoubleBuffer {
        let gradient = pool.buffer(layout.scalarCount, zeroed: true)
        let k = architecture.output.width, top = tapes.last!.output, width = architecture.layers.last!.outputSize
        // Readout: V̄ = Ȳᵀ·O, c̄ = Σ_rows Ȳ, Ō = Ȳ·V.
        Gemm.multiply(transposeA: true, transposeB: false, m: k, n: width, k: rows, a: logitGradient.base, lda: k,
                      b: top.base, ldb: width, beta: 1, c: gradient.base + layout.readoutWeight.offset, ldc: width)
        let biasGradient = gradient.base + layout.readoutBias.offset
        for row in 0..<rows {
            for i in 0..<k { biasGradient[i] += logitGradient[row * k + i] }
        }
        var outputGradient = pool.buffer(rows * width, zeroed: false)  // GEMM with β = 0 overwrites it
        Gemm.multiply(transposeA: false, transposeB: false, m: rows, n: width, k: k, a: logitGradient.base, lda: k,
                      b: parameters.base + layout.readoutWeight.offset, ldb: width, beta: 0, c: outputGradient.base,
                      ldc: width)
        for l in architecture.layers.indices.reversed() {
            dropout?.apply(layer: l, to: outputGradient.base, count: outputGradient.count)
            let below: DoubleBuffer?
            switch tapes[l] {
            case .complex(let tape):
                let zBar = backwardRecurrence(layer: l, tape: tape, outputGradient: outputGradient, into: gradient)
                below = backwardInput(layer: l, preactivationGradient: zBar, into: gradient)
            case .real(let tape):
                below = backwardRealLayer(l, tape: tape, outputGradient: outputGradient, into: gradient)
            }
            if let below { outputGradient = below }
        }
        return gradient
    }

    /// Whether layer `l` must compute the gradient of its input rows: a layer below or an embedding wants it.
    func needsInputGradient(ofLayer l: Int) -> Bool { l > 0 || layout.embedding != nil }

    /// Hands the gradient of layer `l`'s input rows on: returns it for the layer below, or scatters it into the
    /// embedding's gradient (whose rows layer 0 read) and returns nil.
    func passDown(_ inputGradient: DoubleBuffer, fromLayer l: Int, into gradient: DoubleBuffer) -> DoubleBuffer? {
        guard l == 0 else { return inputGradient }
        if case .tokens(let tokens) = batch.inputs, let table = layout.embedding {
            PassArithmetic.scatterRows(inputGradient.base, tokens: tokens, width: architecture.inputWidth,
                                       into: gradient.base + table.offset)
        }
        return nil
    }
}
