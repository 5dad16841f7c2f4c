import CInferenceKernels
import Testing
@testable import KRUInference

/// Oracle: the engine's former Swift dot product (sixteen interleaved partial sums, their halves, then the tail —
/// the order docs/ENGINE.md defines), written out here as plain Swift. The C dense kernel must reproduce it bit for
/// bit on every variant, for every shape, batch size, stride and both store modes.
@Suite struct DenseKernelTests {
    /// Σ a[i]·b[i] with sixteen independent partial sums (two SIMD8 accumulators), their sum, then the tail.
    static func referenceDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var low = SIMD8<Float>(repeating: 0), high = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            for j in 0..<8 {
                low[j] += a[i + j] * b[i + j]
                high[j] += a[i + 8 + j] * b[i + 8 + j]
            }
            i += 16
        }
        var sum = (low + high).sum()
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    // Batches cover one stream, pairs, the four-stream tile of AVX-512 and every remainder after it
    // (5: 4 + 1, 7: 4 + 2 + 1, 9: 2 × 4 + 1, 17: 4 × 4 + 1), on shapes with rows left over after whole tiles
    // (AVX2's pairs take twelve rows in 3 × 2 tiles, then four, then one: 12, 17, 28 and 33 rows).
    @Test(arguments: KernelVariant.supported, [1, 2, 3, 4, 5, 7, 8, 9, 16, 17])
    func matchesTheReferenceDotBitForBit(variant: KernelVariant, batch: Int) {
        var rng = SplitMix64(seed: UInt64(40 + batch))
        for rows in [1, 4, 7, 8, 9, 12, 17, 28, 33] {
            for columns in [0, 1, 15, 16, 17, 32, 37, 64, 100, 269] {
                let w = rng.floats(rows * columns)
                let (xStride, yStride) = (columns + 1, rows + 2)
                let x = rng.floats(batch * xStride)
                for accumulate in [false, true] {
                    let start = rng.floats(batch * yStride)
                    var y = start
                    w.withUnsafeBufferPointer { wp in
                        x.withUnsafeBufferPointer { xp in
                            y.withUnsafeMutableBufferPointer { yp in
                                kru_dense_multiply(variant.rawValue, rows, columns, wp.baseAddress, batch,
                                                   xp.baseAddress, xStride, yp.baseAddress, yStride, accumulate ? 1 : 0)
                            }
                        }
                    }
                    var mismatches = 0
                    for b in 0..<batch {
                        for r in 0..<rows {
                            let d = w.withUnsafeBufferPointer { wp in
                                x.withUnsafeBufferPointer { xp in
                                    Self.referenceDot(wp.baseAddress! + r * columns, xp.baseAddress! + b * xStride,
                                                      count: columns)
                                }
                            }
                            let want = accumulate ? start[b * yStride + r] + d : d
                            if y[b * yStride + r].bitPattern != want.bitPattern { mismatches += 1 }
                        }
                        // Nothing between rows and the stride is touched.
                        if y[b * yStride + rows..<(b + 1) * yStride] != start[b * yStride + rows..<(b + 1) * yStride] {
                            mismatches += 1
                        }
                    }
                    #expect(mismatches == 0, "\(rows)×\(columns), accumulate \(accumulate)")
                }
            }
        }
    }
}
