/// Where a tensor's elements sit in a flat storage: PyTorch's (size, stride, storage offset), NumPy's
/// Fortran order, or plain row-major. Validated against the storage before anything is copied.
struct StridedLayout: Equatable {
    let shape: [Int]
    /// Element (not byte) steps per dimension.
    let strides: [Int]
    /// Element index of the first element.
    let offset: Int
    /// The product of ``shape``, checked not to overflow.
    let elementCount: Int
    /// How many storage elements the layout touches at most (last index + 1; 0 when empty).
    let storageElementsNeeded: Int

    /// Row-major strides for `shape` (C order).
    static func rowMajor(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = step
            step = step &* max(shape[d], 1)
        }
        return strides
    }

    /// Column-major strides for `shape` (NumPy `fortran_order`).
    static func columnMajor(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for d in 0..<shape.count {
            strides[d] = step
            step = step &* max(shape[d], 1)
        }
        return strides
    }

    /// Checks rank, dimensions and the element count against `limits`; all values come from the file.
    static func elementCount(of shape: [Int64], limits: CheckpointLimits, context: CheckpointContext,
                             at offset: UInt64?) throws -> Int {
        guard shape.count <= limits.maxTensorRank else {
            throw context.limit(.tensorRank, at: offset,
                                "rank \(shape.count) exceeds the limit of \(limits.maxTensorRank)")
        }
        var count: UInt64 = 1
        var overflow = false
        for dim in shape {
            guard dim >= 0 else {
                throw context.error(.torchMalformed, at: offset, "negative dimension \(dim) in shape \(shape)")
            }
            let (product, over) = count.multipliedReportingOverflow(by: UInt64(dim))
            overflow = overflow || over
            count = product
        }
        // A zero dimension makes the tensor empty even if other dimensions are absurd; still refuse absurd ones.
        let absurd = shape.contains { UInt64($0) > limits.maxTensorElements }
        guard !overflow, !absurd, count <= limits.maxTensorElements else {
            throw context.limit(.tensorElements, at: offset,
                                "shape \(shape) has \(overflow ? "more than 2^64" : String(count)) elements; "
                                    + "the limit is \(limits.maxTensorElements)")
        }
        return Int(count)
    }

    /// A validated layout: every element index `offset + Σ i_d·stride_d` lies in `0..<storageElements`.
    init(shape: [Int64], strides: [Int64], offset: Int64, storageElements: Int,
         limits: CheckpointLimits, context: CheckpointContext, at position: UInt64?) throws {
        let count = try StridedLayout.elementCount(of: shape, limits: limits, context: context, at: position)
        guard strides.count == shape.count else {
            throw context.error(.torchMalformed, at: position,
                                "shape \(shape) has \(shape.count) dimensions but the stride has \(strides.count)")
        }
        guard offset >= 0, strides.allSatisfy({ $0 >= 0 }) else {
            throw context.error(.tensorOutOfBounds, at: position,
                                "negative storage offset \(offset) or stride \(strides)")
        }
        var needed = 0
        if count > 0 {
            // The last element's index, computed without overflow; it must lie inside the storage.
            var last = UInt64(offset)
            var overflow = false
            for (dim, step) in zip(shape, strides) {
                let (reach, o1) = UInt64(dim - 1).multipliedReportingOverflow(by: UInt64(step))
                let (sum, o2) = last.addingReportingOverflow(reach)
                overflow = overflow || o1 || o2
                last = sum
            }
            guard !overflow, last < UInt64(storageElements) else {
                throw context.error(.tensorOutOfBounds, at: position,
                                    "size \(shape) with stride \(strides) at offset \(offset) reaches element "
                                        + "\(overflow ? "past 2^64" : String(last)) of a storage of "
                                        + "\(storageElements) elements")
            }
            needed = Int(last) + 1
        }
        self.shape = shape.map { Int($0) }
        self.strides = strides.map { Int($0) }
        self.offset = Int(offset)
        self.elementCount = count
        self.storageElementsNeeded = needed
    }

    /// The same view of the storage cut to start at its first element (``offset``), for decoding only the part
    /// of the storage the view reaches. Strides are non-negative, so no element lies before ``offset``.
    var rebased: StridedLayout {
        StridedLayout(shape: shape, strides: strides, offset: 0, elementCount: elementCount,
                      storageElementsNeeded: max(0, storageElementsNeeded - offset))
    }

    private init(shape: [Int], strides: [Int], offset: Int, elementCount: Int, storageElementsNeeded: Int) {
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.elementCount = elementCount
        self.storageElementsNeeded = storageElementsNeeded
    }

    /// Calls `body` with each element's storage index in row-major order of ``shape``.
    func forEachStorageIndex(_ body: (Int) throws -> Void) rethrows {
        if elementCount == 0 { return }
        let rank = shape.count
        if rank == 0 { try body(offset); return }
        let inner = shape[rank - 1], innerStride = strides[rank - 1]
        var counter = [Int](repeating: 0, count: rank - 1)
        var base = offset
        while true {
            // Wrapping arithmetic: a step past the last element (a huge stride on a dimension of size 1) may
            // leave the valid range, but such an index is never used.
            var index = base
            for _ in 0..<inner {
                try body(index)
                index &+= innerStride
            }
            // Advance the odometer over the outer dimensions, last one fastest.
            var d = rank - 2
            while d >= 0 {
                counter[d] += 1
                base &+= strides[d]
                if counter[d] < shape[d] { break }
                base &-= strides[d] &* shape[d]
                counter[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}
