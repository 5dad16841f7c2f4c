/// Allocation-free heap selection over a buffer of indices, for the sampler's top-k and top-p filters.
///
/// Why a heap and not `sort`: the standard library's sort may allocate a temporary buffer, and the sampler
/// must not allocate per token; a heap also only pays for the entries it pops (k, or the nucleus size).
/// The order is a strict total order (the sampler breaks ties by index), so the entries popped do not depend
/// on the heap's internal arrangement. It is a generic value rather than a closure because a closure kept in
/// a variable is heap-allocated on every call.
protocol IndexOrder {
    /// True when entry `a` must come before entry `b`.
    func ranksBefore(_ a: Int, _ b: Int) -> Bool
}

enum IndexHeap {
    /// Arranges `items[0..<count]` as a heap whose root ranks first.
    static func build(
        _ items: UnsafeMutableBufferPointer<Int>, count: Int, order: some IndexOrder
    ) {
        var parent = count / 2 - 1
        while parent >= 0 {
            siftDown(items, from: parent, count: count, order: order)
            parent -= 1
        }
    }

    /// Removes the first-ranked entry of the heap `items[0..<count]` and returns it. It is moved to
    /// `items[count − 1]` and `count` shrinks by one, so popped entries collect at the end in reverse order.
    static func popFirst(
        _ items: UnsafeMutableBufferPointer<Int>, count: inout Int, order: some IndexOrder
    ) -> Int {
        let first = items[0]
        count -= 1
        items[0] = items[count]
        items[count] = first
        siftDown(items, from: 0, count: count, order: order)
        return first
    }

    private static func siftDown(
        _ items: UnsafeMutableBufferPointer<Int>, from start: Int, count: Int, order: some IndexOrder
    ) {
        var parent = start
        while true {
            var best = parent
            let left = 2 * parent + 1
            let right = left + 1
            if left < count && order.ranksBefore(items[left], items[best]) { best = left }
            if right < count && order.ranksBefore(items[right], items[best]) { best = right }
            if best == parent { return }
            items.swapAt(parent, best)
            parent = best
        }
    }
}
