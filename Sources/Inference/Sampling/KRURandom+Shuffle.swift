/// A shuffle defined by the spec (§4.1) instead of `shuffled(using:)`, whose algorithm Swift does not promise.
extension KRURandom {
    /// Shuffles `elements` in place with the Fisher–Yates algorithm, from the last position down: for
    /// i = n−1, n−2, …, 1, swap position i with position ``nextIndex(below:)``(i + 1). Positions are offsets from
    /// `startIndex`, so an array, a slice or a buffer with the same contents ends in the same order.
    public mutating func shuffle<C: MutableCollection & RandomAccessCollection>(_ elements: inout C) {
        var i = elements.count - 1
        while i > 0 {
            let j = nextIndex(below: i + 1)
            elements.swapAt(
                elements.index(elements.startIndex, offsetBy: i),
                elements.index(elements.startIndex, offsetBy: j))
            i -= 1
        }
    }
}
