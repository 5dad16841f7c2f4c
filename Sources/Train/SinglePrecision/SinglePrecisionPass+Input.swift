/// The input side of a layer, W x_t for every row, and its gradients — three ways of reading the same product:
///
/// - real rows (vectors, or the layer below's outputs): one GEMM over all T·B rows;
/// - one-hot tokens: column `token` of W (the one-hot vector is never formed);
/// - embedded tokens (layer 0 of a model with an embedding E): row `token` of the table E·Wᵀ, made once per pass
///   (V rows instead of T·B); backward, the gradient rows summed per token, S, give W̄ = Sᵀ·E and Ē = S·W. A character
///   model's vocabulary is far smaller than the 1,600 rows of a chunk, so this replaces three GEMMs over the rows by
///   three over the vocabulary.
extension SinglePrecisionPass {
    enum LayerInput {
        case rows(UnsafeMutablePointer<Float>)
        case oneHot([Int])
        /// The tokens and the embedding table (V × D, in the parameters).
        case embedded([Int], table: UnsafePointer<Float>)
    }

    /// How layer `l` reads its input.
    func layerInput(_ l: Int) -> LayerInput {
        if l > 0 { return .rows(tapes[l - 1].output.base) }
        if let inputRows { return .rows(inputRows.base) }
        guard case .tokens(let tokens) = batch.inputs else { preconditionFailure("vector inputs always have rows") }
        if let table = layout.embedding { return .embedded(tokens, table: parameters.base + table.offset) }
        return .oneHot(tokens)
    }

    /// Whether layer 0's embedded tokens are read through a per-token table (a vocabulary smaller than the rows).
    static func readsTokenTable(_ layout: ParameterLayout, rows: Int) -> Bool {
        guard let table = layout.embedding else { return false }
        return table.shape[0] < rows
    }

    /// out (rows × width, row stride `width`) = bias + x·Wᵀ for layer `l`'s inputs x, W = `weight` (width × D),
    /// `bias` one row of `width`. The row-by-row parts run on the pass's threads, split by rows (each value is formed
    /// by the same operations whatever the split); the bias and the token's contribution are added in one pass
    /// instead of filling the rows first.
    func setInputProduct(layer l: Int, weight w: UnsafePointer<Float>, width: Int, bias: UnsafePointer<Float>,
                         into out: UnsafeMutablePointer<Float>) {
        let d = architecture.inputWidth(ofLayer: l), split = BatchPartition(batchSize: rows, workers: threads)
        switch layerInput(l) {
        case .rows(let x):
            split.run { _, range in
                for row in range { (out + row * width).update(from: bias, count: width) }
            }
            Gemm.multiply(threads: threads, transposeA: false, transposeB: true, m: rows, n: width, k: d, a: x, lda: d,
                          b: w, ldb: d, beta: 1, c: out, ldc: width)
        case .oneHot(let tokens):
            split.run { _, range in
                for row in range {
                    let a = out + row * width, token = tokens[row]
                    for k in 0..<width { a[k] = bias[k] + w[k * d + token] }
                }
            }
        case .embedded(let tokens, _):
            let table = biasedTokenTable(layer: l, weight: w, width: width, bias: bias)
            split.run { _, range in
                for row in range { (out + row * width).update(from: table.base + tokens[row] * width, count: width) }
            }
        }
    }

    /// For layer 0 reading embedded tokens: the V × width table whose row v is bias + (E W ᵀ)[v], the input side of
    /// every row with token v.
    func biasedTokenTable(layer l: Int, weight w: UnsafePointer<Float>, width: Int,
                          bias: UnsafePointer<Float>) -> FloatBuffer {
        guard case .embedded(_, let embedding) = layerInput(l) else { preconditionFailure("no embedded tokens") }
        let d = architecture.inputWidth(ofLayer: l), vocabulary = architecture.vocabulary!.count
        let table = pool.buffer(vocabulary * width, zeroed: false)
        Gemm.multiply(threads: threads, transposeA: false, transposeB: true, m: vocabulary, n: width, k: d,
                      a: embedding, lda: d, b: w, ldb: d, beta: 0, c: table.base, ldc: width)
        for v in 0..<vocabulary {
            let row = table.base + v * width
            for k in 0..<width { row[k] = bias[k] + row[k] }
        }
        return table
    }

    /// Given Ā (rows × width), the gradient of x·Wᵀ: adds W̄ = Āᵀ·x to `weightGradient` and the input's gradient
    /// Ā·W — into `inputGradient` rows (added when `accumulate`, else written) when the input is real rows, into the
    /// embedding's gradient for embedded tokens; nothing more for one-hot tokens.
    func addInputGradients(layer l: Int, _ a: UnsafePointer<Float>, width: Int, weight w: UnsafePointer<Float>,
                           weightGradient gw: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                           accumulate: Bool, into gradient: FloatBuffer) {
        let d = architecture.inputWidth(ofLayer: l)
        switch layerInput(l) {
        case .rows(let x):
            Gemm.multiply(threads: threads, transposeA: true, transposeB: false, m: width, n: d, k: rows, a: a,
                          lda: width,
                          b: x, ldb: d, beta: 1, c: gw, ldc: d)
            guard let inputGradient else { return }
            Gemm.multiply(threads: threads, transposeA: false, transposeB: false, m: rows, n: d, k: width, a: a,
                          lda: width,
                          b: w, ldb: d, beta: accumulate ? 1 : 0, c: inputGradient, ldc: d)
        case .oneHot(let tokens):
            // Split by columns of Ā: every entry still sums its rows in row order.
            BatchPartition(batchSize: width, workers: threads).run { _, columns in
                for (row, token) in tokens.enumerated() {
                    for k in columns { gw[k * d + token] += a[row * width + k] }
                }
            }
        case .embedded(let tokens, _):
            let vocabulary = architecture.vocabulary!.count
            let sums = pool.buffer(vocabulary * width, zeroed: true)
            BatchPartition(batchSize: width, workers: threads).run { _, columns in
                let (first, count) = (columns.lowerBound, columns.count)
                for (row, token) in tokens.enumerated() {
                    let s = sums.base + token * width + first, g = a + row * width + first
                    for k in 0..<count { s[k] += g[k] }
                }
            }
            addTokenGradients(layer: l, tokenSums: sums.base, width: width, weight: w, weightGradient: gw,
                              into: gradient)
        }
    }

    /// For layer 0 reading embedded tokens, given S (V × width), the gradient rows of x·Wᵀ summed per token:
    /// adds W̄ = Sᵀ·E to `weightGradient` and Ē = S·W to the embedding's gradient.
    func addTokenGradients(layer l: Int, tokenSums sums: UnsafePointer<Float>, width: Int,
                           weight w: UnsafePointer<Float>, weightGradient gw: UnsafeMutablePointer<Float>,
                           into gradient: FloatBuffer) {
        guard case .embedded(_, let embedding) = layerInput(l) else { preconditionFailure("no embedded tokens") }
        let d = architecture.inputWidth(ofLayer: l), vocabulary = architecture.vocabulary!.count
        Gemm.multiply(threads: threads, transposeA: true, transposeB: false, m: width, n: d, k: vocabulary, a: sums,
                      lda: width, b: embedding, ldb: d, beta: 1, c: gw, ldc: d)
        Gemm.multiply(threads: threads, transposeA: false, transposeB: false, m: vocabulary, n: d, k: width, a: sums,
                      lda: width, b: w, ldb: d, beta: 1, c: gradient.base + layout.embedding!.offset, ldc: d)
    }
}
