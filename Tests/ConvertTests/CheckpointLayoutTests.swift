import Testing
@testable import KRUConvert

/// Strided gathers against an explicit index formula, and element decoding against the standard library.
struct CheckpointLayoutTests {
    private let context = CheckpointContext(file: "t")

    @Test func gatherFollowsSizeStrideAndOffset() throws {
        var random = SplitMix64(state: 99)
        for _ in 0..<200 {
            let rank = random.below(4)
            let shape = (0..<rank).map { _ in Int64(random.below(4)) }
            let strides = (0..<rank).map { _ in Int64(random.below(7)) }
            let offset = Int64(random.below(5))
            let reach = zip(shape, strides).map { max($0 - 1, 0) * $1 }.reduce(offset, +)
            let storage = Int(reach) + 1 + random.below(3)
            let layout = try StridedLayout(shape: shape, strides: strides, offset: offset, storageElements: storage,
                                           limits: .standard, context: context, at: nil)
            var gathered: [Int] = []
            layout.forEachStorageIndex { gathered.append($0) }
            // The explicit formula: offset + Σ i_d·stride_d over all indices in row-major order.
            var expected: [Int] = []
            let count = shape.reduce(1, *)
            for linear in 0..<Int(count) {
                var rest = linear, index = Int(offset)
                for d in stride(from: rank - 1, through: 0, by: -1) {
                    index += (rest % Int(shape[d])) * Int(strides[d])
                    rest /= Int(shape[d])
                }
                expected.append(index)
            }
            #expect(gathered == expected, "shape \(shape) stride \(strides) offset \(offset)")
        }
    }

    @Test func boundsAreCheckedWithoutOverflow() {
        let cases: [([Int64], [Int64], Int64, Int, CheckpointError.Kind)] = [
            ([4, 4], [4, 1], 0, 15, .tensorOutOfBounds),
            ([2], [1], 9, 10, .tensorOutOfBounds),
            ([2, 2], [Int64.max / 2, 1], 0, 10, .tensorOutOfBounds),
            ([3], [1, 1], 0, 10, .torchMalformed),
            ([1 << 40], [1], 0, 10, .limitExceeded(.tensorElements)),
            ([-1], [1], 0, 10, .torchMalformed),
            (Array(repeating: 1, count: 65), Array(repeating: 1, count: 65), 0, 10, .limitExceeded(.tensorRank)),
        ]
        for (shape, strides, offset, storage, kind) in cases {
            let error = expectCheckpointError {
                try StridedLayout(shape: shape, strides: strides, offset: offset, storageElements: storage,
                                  limits: .standard, context: context, at: nil)
            }
            #expect(error?.kind == kind, "shape \(shape)")
        }
    }

    /// A dimension of size 1 may carry any stride (PyTorch does this); stepping past it must not overflow.
    @Test func hugeStrideOnASizeOneDimension() throws {
        let layout = try StridedLayout(shape: [1, 2, 1], strides: [Int64.max, 1, Int64.max], offset: 3,
                                       storageElements: 5, limits: .standard, context: context, at: nil)
        var gathered: [Int] = []
        layout.forEachStorageIndex { gathered.append($0) }
        #expect(gathered == [3, 4])
    }

    @Test func zeroSizedDimensionsNeedNoStorage() throws {
        let layout = try StridedLayout(shape: [0, Int64(1) << 31], strides: [1, 1], offset: 100, storageElements: 0,
                                       limits: .standard, context: context, at: nil)
        #expect(layout.elementCount == 0)
    }

    #if !(os(macOS) && arch(x86_64))
    @Test func halfDecodingMatchesFloat16ForEveryBitPattern() {
        for bits in 0...UInt16.max {
            let ours = floatFromHalfBits(bits), reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                #expect(ours.isNaN)
            } else if ours.bitPattern != reference.bitPattern {
                Issue.record("half \(bits): \(ours) vs \(reference)")
            }
        }
    }
    #endif

    @Test func decodingChecksThatTheBytesArePresent() throws {
        let layout = try StridedLayout(shape: [4], strides: [1], offset: 0, storageElements: 4, limits: .standard,
                                       context: context, at: nil)
        let error = expectCheckpointError {
            try ElementDecoding.decode(floatBytes([1, 2]), dtype: .float32, byteOrder: .little, layout: layout,
                                       context: context)
        }
        #expect(error?.kind == .dataSizeMismatch)
    }
}
