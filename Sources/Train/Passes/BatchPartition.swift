import Dispatch

/// Splits a batch into contiguous sub-batches, one per worker thread. Each worker runs the recurrence of its
/// sub-batch over the whole chunk — the streams are independent — so threads meet once per layer, not once per
/// step.
struct BatchPartition {
    let ranges: [Range<Int>]

    init(batchSize: Int, workers: Int) {
        let count = max(1, min(workers, batchSize))
        ranges = (0..<count).map { w in (w * batchSize / count)..<((w + 1) * batchSize / count) }
    }

    /// Runs `body` for every sub-batch, concurrently when there is more than one.
    func run(_ body: (Int, Range<Int>) -> Void) {
        if ranges.count == 1 {
            body(0, ranges[0])
        } else {
            // The workers share raw buffers but write disjoint rows (and private gradient buffers), which the
            // type system cannot see; hence the unchecked capture.
            nonisolated(unsafe) let work = body
            let ranges = ranges
            DispatchQueue.concurrentPerform(iterations: ranges.count) { work($0, ranges[$0]) }
        }
    }
}
