/// The first layer's input projection W_ih·x + b_ih for every token of a token model, computed once when the
/// model loads: a step then copies one row instead of multiplying the embedding (or one-hot column) by W_ih.
///
/// Each row is computed by the same code and kernel as a step would compute it (the bias, then the product added
/// to it), so a table row and a projection computed on the fly are the same floats. This is what teacher forcing
/// allows for text: the input projections of every step of a known text are rows of one V × width product.
struct InputTable: Sendable {
    /// Tables larger than this many floats (64 MB) are not built; such models project each step instead.
    static let maxElements = 1 << 24

    /// Floats per token: G·N for real cells, 2N for kru (the real plane, then the imaginary one).
    let width: Int
    let storage: FloatStorage

    /// The table of `layer` (the model's first), or nil when it would exceed ``maxElements``.
    init?(layer: LayerWeights, embedding: DenseMatrix?, vocabularySize: Int) {
        let width = layer.inputProjectionWidth
        let (count, overflow) = vocabularySize.multipliedReportingOverflow(by: width)
        guard !overflow, count <= Self.maxElements else { return nil }
        let storage = FloatStorage(count: count)
        let tokens = Array(0..<vocabularySize)
        let table = storage.pointer
        func project(_ input: LayerInput) {
            switch layer {
            case .kru(let w):
                w.projectInput(input, batch: vocabularySize, real: table, imaginary: table + w.hiddenSize,
                               stride: width, variant: .widest, team: nil)
            case .real(let w):
                w.projectInput(input, batch: vocabularySize, into: table, stride: width, variant: .widest, team: nil)
            }
        }
        if let embedding {
            embedding.values.withUnsafeBufferPointer { project(.vectors($0.baseAddress!, width: embedding.columns)) }
        } else {
            tokens.withUnsafeBufferPointer { project(.oneHot($0.baseAddress!)) }
        }
        self.width = width
        self.storage = storage
    }

    /// The row of `token`.
    func row(_ token: Int) -> UnsafePointer<Float> { UnsafePointer(storage.pointer + token * width) }
}

/// Floats at a fixed address for the owner's lifetime, written once while it is built and only read after
/// that, so sharing it between threads is safe.
final class FloatStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}
