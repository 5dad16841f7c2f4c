import CInferenceKernels
import KRUFormat
import Testing
@testable import KRUInference

/// Oracle: what the engine did before it kept 16-bit matrices 16-bit — widen the matrix to `Float` with the format's
/// own conversion (`KRUTensor.floats()`, written out in Sources/Format) and run the float kernel, which
/// DenseKernelTests checks against plain Swift sums. The 16-bit kernels must give the same bits on every variant,
/// for every shape (tails shorter than a vector included), batch size, stride and both store modes.
@Suite struct SixteenBitKernelTests {
    /// Rounded uniform values in (−1, 1), with a few values at the edges of each type's range mixed in: zeros of
    /// both signs, subnormals, the largest finite value and infinities (NaN is left out: its payload is not a
    /// value the sums could preserve).
    static func weights(_ count: Int, as dtype: KRUDType, rng: inout SplitMix64) throws -> KRUTensor {
        let edges: [UInt16] = dtype == .f16
            ? [0x0000, 0x8000, 0x0001, 0x83FF, 0x03FF, 0x0400, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00]
            : [0x0000, 0x8000, 0x0001, 0x807F, 0x0080, 0x7F7F, 0xFF7F, 0x7F80, 0xFF80]
        var bytes = try KRUTensor(name: "w", shape: [count], floats: rng.floats(count), storedAs: dtype).bytes
        for i in 0..<count where rng.next() % 16 == 0 {
            let bits = edges[Int(rng.next() % UInt64(edges.count))]
            bytes[2 * i] = UInt8(truncatingIfNeeded: bits)
            bytes[2 * i + 1] = UInt8(truncatingIfNeeded: bits >> 8)
        }
        return KRUTensor(name: "w", dtype: dtype, shape: [count], bytes: bytes)
    }

    @Test(arguments: KernelVariant.supported, [KRUDType.bf16, .f16])
    func matchesTheWidenedMatrixBitForBit(variant: KernelVariant, dtype: KRUDType) throws {
        var rng = SplitMix64(seed: dtype == .f16 ? 16 : 17)
        // Below 8 streams the weights are widened in registers (4, 5, 7: the four-stream tile and its remainders);
        // from 8 the kernel widens blocks of rows into scratch and runs the float kernel.
        for batch in [1, 2, 3, 4, 5, 7, 8, 9, 16, 17] {
            for rows in [1, 4, 7, 8, 9, 12, 17, 28, 33] {
                for columns in [0, 1, 15, 16, 17, 32, 37, 64, 100, 269] {
                    let tensor = try Self.weights(rows * columns, as: dtype, rng: &rng)
                    let narrow = SixteenBitMatrix(
                        KRUTensor(name: "w", dtype: dtype, shape: [rows, columns], bytes: tensor.bytes),
                        rows: rows, columns: columns)
                    let wide = DenseMatrix(rows: rows, columns: columns, values: try tensor.floats())
                    let (xStride, yStride) = (columns + 1, rows + 2)
                    let x = rng.floats(batch * xStride)
                    for accumulate in [false, true] {
                        let start = rng.floats(batch * yStride)
                        var got = start, want = start
                        x.withUnsafeBufferPointer { xp in
                            got.withUnsafeMutableBufferPointer { yp in
                                narrow.multiply(xp.baseAddress!, xStride: xStride, batch: batch,
                                                into: yp.baseAddress!, yStride: yStride, accumulate: accumulate,
                                                variant: variant)
                            }
                            want.withUnsafeMutableBufferPointer { yp in
                                wide.multiply(xp.baseAddress!, xStride: xStride, batch: batch,
                                              into: yp.baseAddress!, yStride: yStride, accumulate: accumulate,
                                              variant: variant)
                            }
                        }
                        let mismatches = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
                        #expect(mismatches == 0, "\(rows)×\(columns), batch \(batch), accumulate \(accumulate)")
                    }
                }
            }
        }
    }

    /// The conversions themselves, on all 65,536 bit patterns. Row r of a 17-column matrix holds pattern r in
    /// column r mod 17 (a vector lane, or the scalar tail for column 16) and +0 elsewhere; x is all ones, so the
    /// row's sum is the widened value plus zeros: the value itself, except that −0 becomes +0. NaNs are compared by
    /// class (both sides must give a NaN).
    @Test(arguments: KernelVariant.supported, [KRUDType.bf16, .f16])
    func widensEveryBitPatternAsTheFormatDoes(variant: KernelVariant, dtype: KRUDType) throws {
        let (count, columns) = (1 << 16, 17)
        let patterns = KRUTensor(
            name: "p", dtype: dtype, shape: [count],
            bytes: (0..<count).flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] })
        let want = try patterns.floats()
        var bytes = [UInt8](repeating: 0, count: 2 * count * columns)
        for r in 0..<count {
            let at = 2 * (r * columns + r % columns)
            (bytes[at], bytes[at + 1]) = (patterns.bytes[2 * r], patterns.bytes[2 * r + 1])
        }
        let narrow = SixteenBitMatrix(KRUTensor(name: "w", dtype: dtype, shape: [count, columns], bytes: bytes),
                                      rows: count, columns: columns)
        var got = [Float](repeating: 0, count: count)
        [Float](repeating: 1, count: columns).withUnsafeBufferPointer { x in
            got.withUnsafeMutableBufferPointer { y in
                narrow.multiply(x.baseAddress!, xStride: columns, batch: 1, into: y.baseAddress!, yStride: count,
                                accumulate: false, variant: variant)
            }
        }
        var mismatches = 0
        for i in 0..<count where !(got[i].isNaN && want[i].isNaN) {
            let expected = want[i] == 0 ? Float(0) : want[i]
            if got[i].bitPattern != expected.bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(got.filter(\.isNaN).count == want.filter(\.isNaN).count)
        #expect(want.filter(\.isNaN).count == (dtype == .f16 ? 2046 : 254))
    }
}
