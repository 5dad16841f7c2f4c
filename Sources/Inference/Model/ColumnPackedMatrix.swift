import CInferenceKernels

/// A copy of a readout matrix packed by columns for single-stream steps, where the product skips the columns whose
/// input is zero (`kru_packed_multiply`). The results are the same floats as ``DenseMatrix/multiply`` gives: the
/// skipped products are ±0 and adding them changes no partial sum (docs/ENGINE.md, "Zero inputs").
///
/// It pays for layers whose output has many exact zeros — a modReLU or ReLU state (about a quarter of kjv-kru512's
/// units are off at any step) — because the product is bound by reading W from the cache. For layers whose output
/// is never zero it would only double the readout's memory, so ``init(readout:below:)`` builds none for them.
struct ColumnPackedMatrix: Sendable {
    /// Readouts larger than this many floats (64 MB) are not packed; their steps use the dense product.
    static let maxElements = 1 << 24

    let rows: Int
    let columns: Int
    private let storage: FloatStorage

    /// The packed copy of `readout`, or nil when the layer below rarely outputs zeros, when `readout` holds a
    /// non-finite weight (W·0 would be NaN, not ±0, so skipping it would change the result) or is too large.
    init?(readout: DenseMatrix, below layer: ModelDescription.Layer) {
        let outputsZeros = layer.cell == .rnnReLU || (layer.cell == .kru && layer.activation != .splitTanh)
        let count = kru_packed_padded_rows(readout.rows).multipliedReportingOverflow(by: readout.columns)
        guard outputsZeros, !count.overflow, count.partialValue <= Self.maxElements,
              readout.values.allSatisfy(\.isFinite) else { return nil }
        rows = readout.rows
        columns = readout.columns
        storage = FloatStorage(count: count.partialValue)
        readout.values.withUnsafeBufferPointer { kru_pack_columns(rows, columns, $0.baseAddress, storage.pointer) }
    }

    /// y = W·x, or y += W·x when `accumulate`, for one vector.
    func multiply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, accumulate: Bool,
                  variant: KernelVariant) {
        kru_packed_multiply(variant.rawValue, rows, columns, storage.pointer, x, y, accumulate ? 1 : 0)
    }
}
