extension SinglePrecisionPass {
    /// Backpropagation through the chunk, given ∂L/∂y for every row of ``logits``. Returns the gradient of every
    /// parameter in flat layout order, in Double (complex slots: ∂L/∂Re then ∂L/∂Im). The gradient with respect to
    /// the chunk's initial state is dropped: that is the truncation of truncated BPTT.
    func backward(logitGradient: FloatBuffer) -> [Double] {
        let gradient = pool.buffer(layout.scalarCount, zeroed: true)
        let k = architecture.output.width, top = tapes.last!.output, width = architecture.layers.last!.outputSize
        // Readout: V̄ = Ȳᵀ·O, c̄ = Σ_rows Ȳ, Ō = Ȳ·V.
        Gemm.multiply(threads: threads, transposeA: true, transposeB: false, m: k, n: width, k: rows,
                      a: logitGradient.base, lda: k,
                      b: top.base, ldb: width, beta: 1, c: gradient.base + layout.readoutWeight.offset, ldc: width)
        PassArithmetic.addColumnSums(logitGradient.base, rows: rows, width: k,
                                     into: gradient.base + layout.readoutBias.offset)
        var outputGradient = pool.buffer(rows * width, zeroed: false)
        Gemm.multiply(threads: threads, transposeA: false, transposeB: false, m: rows, n: width, k: k,
                      a: logitGradient.base, lda: k,
                      b: parameters.base + layout.readoutWeight.offset, ldb: width, beta: 0, c: outputGradient.base,
                      ldc: width)
        for l in architecture.layers.indices.reversed() {
            dropout?.apply(layer: l, to: outputGradient.base, count: outputGradient.count)
            let below: FloatBuffer?
            switch tapes[l] {
            case .complex(let tape):
                let zBar = backwardComplexRecurrence(layer: l, tape: tape, outputGradient: outputGradient,
                                                     into: gradient)
                below = backwardComplexInput(layer: l, preactivationGradient: zBar, into: gradient)
            case .real(let tape):
                below = backwardRealLayer(l, tape: tape, outputGradient: outputGradient, into: gradient)
            }
            if let below { outputGradient = below }
        }
        var flat = [Double](repeating: 0, count: gradient.count)
        flat.withUnsafeMutableBufferPointer { flat in
            BatchPartition(batchSize: flat.count, workers: threads).run { _, range in
                for i in range { flat[i] = Double(gradient[i]) }
            }
        }
        return flat
    }

    /// Whether layer `l` must compute the gradient of its input rows: a layer below, or an embedding whose rows were
    /// gathered (a token table handles its own gradient).
    func needsRowGradient(ofLayer l: Int) -> Bool {
        guard l == 0 else { return true }
        if case .rows = layerInput(0), layout.embedding != nil { return true }
        return false
    }

    /// Hands the gradient of layer `l`'s input rows on: returns it for the layer below, or scatters it into the
    /// embedding's gradient (whose rows layer 0 read) and returns nil.
    func passDown(_ inputGradient: FloatBuffer, fromLayer l: Int, into gradient: FloatBuffer) -> FloatBuffer? {
        guard l == 0 else { return inputGradient }
        if case .tokens(let tokens) = batch.inputs, let table = layout.embedding {
            PassArithmetic.scatterRows(inputGradient.base, tokens: tokens, width: architecture.inputWidth,
                                       into: gradient.base + table.offset)
        }
        return nil
    }
}
