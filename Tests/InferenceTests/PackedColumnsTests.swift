import CInferenceKernels
import Testing
@testable import KRUInference

/// Oracle: the former Swift dot product (``DenseKernelTests/referenceDot(_:_:count:)``). The column-packed product
/// skips the columns whose input is zero, and must still give every output bit for bit, on every variant, for
/// inputs with no zeros, some, most and only zeros (both signs), and with NaN inputs (which are not skipped).
@Suite struct PackedColumnsTests {
    /// `count` inputs of which about `zeroFraction` are ±0; with `nan`, one NaN among them.
    static func inputs(_ count: Int, zeroFraction: Double, nan: Bool, rng: inout SplitMix64) -> [Float] {
        var x = (0..<count).map { _ -> Float in
            guard rng.nextDouble() < zeroFraction else { return rng.nextFloat() }
            return rng.nextDouble() < 0.5 ? 0 : -0.0
        }
        if nan && count > 0 { x[rng.nextInt(in: 0...count - 1)] = .nan }
        return x
    }

    @Test(arguments: KernelVariant.supported, [0.0, 0.25, 0.9, 1.0])
    func matchesTheReferenceDotBitForBit(variant: KernelVariant, zeroFraction: Double) {
        var rng = SplitMix64(seed: UInt64(7 + zeroFraction * 100))
        for rows in [1, 15, 16, 17, 63, 64, 65, 130] {
            for columns in [0, 1, 15, 16, 17, 100, 512, 513, 1024, 1100] {
                let w = rng.floats(rows * columns)
                var packed = [Float](repeating: .nan, count: kru_packed_padded_rows(rows) * columns)
                kru_pack_columns(rows, columns, w, &packed)
                for (accumulate, nan) in [(false, false), (true, false), (true, true)] {
                    let x = Self.inputs(columns, zeroFraction: zeroFraction, nan: nan, rng: &rng)
                    let start = rng.floats(rows)
                    var y = start
                    kru_packed_multiply(variant.rawValue, rows, columns, packed, x, &y, accumulate ? 1 : 0)
                    var mismatches = 0
                    for r in 0..<rows {
                        let d = w.withUnsafeBufferPointer { wp in
                            DenseKernelTests.referenceDot(wp.baseAddress! + r * columns, x, count: columns)
                        }
                        let want = accumulate ? start[r] + d : d
                        if y[r].bitPattern != want.bitPattern && !(y[r].isNaN && want.isNaN) { mismatches += 1 }
                    }
                    #expect(mismatches == 0, "\(rows)×\(columns), accumulate \(accumulate), NaN input \(nan)")
                }
            }
        }
    }

    /// The packed copy is made only where it can pay and cannot change a result.
    @Test func isBuiltOnlyForFiniteReadoutsAboveZeroEmittingLayers() throws {
        let finite = DenseMatrix(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])
        let infinite = DenseMatrix(rows: 2, columns: 3, values: [1, 2, 3, 4, .infinity, 6])
        typealias Layer = ModelDescription.Layer
        func layer(_ cell: ModelDescription.Cell, _ activation: ModelDescription.Activation?) -> Layer {
            Layer(cell: cell, hiddenSize: 3, activation: activation, recurrent: .dense, inputSize: 4)
        }
        #expect(ColumnPackedMatrix(readout: finite, below: layer(.kru, .modReLU)) != nil)
        #expect(ColumnPackedMatrix(readout: finite, below: layer(.rnnReLU, nil)) != nil)
        #expect(ColumnPackedMatrix(readout: infinite, below: layer(.kru, .modReLU)) == nil)
        #expect(ColumnPackedMatrix(readout: finite, below: layer(.kru, .splitTanh)) == nil)
        #expect(ColumnPackedMatrix(readout: finite, below: layer(.lstm, nil)) == nil)
    }
}
