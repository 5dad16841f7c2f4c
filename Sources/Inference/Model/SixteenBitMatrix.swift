import CInferenceKernels
import KRUFormat

/// A real row-major matrix kept in the 16-bit type its file stores it in, bfloat16 or IEEE binary16: the dense
/// recurrent matrix of a narrowed model (`kru quantize --tensors recurrent`).
///
/// A dense gate matrix is read in full every step and is too large for the inner caches (kjv-lstm512's 2048 × 512
/// is 4 MB as `Float`). Kept at 16 bits it takes half the memory and half the bytes read per step (the product is
/// only partly bound by memory on the reference machine, so the step gains less: docs/ENGINE.md); the
/// kernel widens each weight in registers, exactly (every 16-bit value is a `Float`), and sums as
/// ``DenseMatrix/multiply(_:xStride:batch:into:yStride:accumulate:variant:)`` does, so the results are bit for bit
/// those of the matrix widened to `Float` (docs/ENGINE.md, "Weights stored at 16-bit precision").
struct SixteenBitMatrix: Sendable {
    let rows: Int
    let columns: Int
    /// `.bf16` or `.f16`.
    let dtype: KRUDType
    /// The stored bits, row-major.
    let bits: [UInt16]

    /// The matrix of a bf16 or f16 tensor of shape [rows, columns].
    init(_ tensor: KRUTensor, rows: Int, columns: Int) {
        precondition([.bf16, .f16].contains(tensor.dtype) && tensor.shape == [rows, columns])
        self.rows = rows
        self.columns = columns
        dtype = tensor.dtype
        let bytes = tensor.bytes
        bits = (0..<rows * columns).map { i in UInt16(bytes[2 * i]) | UInt16(bytes[2 * i + 1]) << 8 }
    }

    /// The same values as `Float`, converted as the format converts them for every other weight
    /// (`KRUTensor.floats()`): what the matrix was before the engine kept 16-bit matrices 16-bit.
    func widened() -> DenseMatrix {
        var bytes = [UInt8]()
        bytes.reserveCapacity(2 * bits.count)
        for word in bits { bytes += [UInt8(truncatingIfNeeded: word), UInt8(truncatingIfNeeded: word >> 8)] }
        let tensor = KRUTensor(name: "", dtype: dtype, shape: [rows, columns], bytes: bytes)
        // A bf16 or f16 tensor always converts (floats() throws only for other types).
        return DenseMatrix(rows: rows, columns: columns, values: try! tensor.floats())
    }

    /// y_b = W·x_b (or y_b += W·x_b when `accumulate`), exactly as
    /// ``DenseMatrix/multiply(_:xStride:batch:into:yStride:accumulate:variant:)`` computes it with ``widened()``.
    func multiply(
        _ x: UnsafePointer<Float>, xStride: Int, batch: Int, into y: UnsafeMutablePointer<Float>, yStride: Int,
        accumulate: Bool, variant: KernelVariant, team: WorkerTeam? = nil
    ) {
        bits.withUnsafeBufferPointer { w in
            if let team, WorkerTeam.shares(multiplyAdds: rows * columns * batch) {
                team.multiply(weightKind: Int32(dtype == .bf16 ? KRU_WEIGHTS_BF16 : KRU_WEIGHTS_F16), rows: rows,
                              columns: columns, weights: w.baseAddress!, batch: batch, x: x, xStride: xStride, y: y,
                              yStride: yStride, accumulate: accumulate, variant: variant)
            } else {
                let multiply = dtype == .bf16 ? kru_dense_multiply_bf16 : kru_dense_multiply_f16
                multiply(variant.rawValue, rows, columns, w.baseAddress, batch, x, xStride, y, yStride,
                         accumulate ? 1 : 0)
            }
        }
    }
}
