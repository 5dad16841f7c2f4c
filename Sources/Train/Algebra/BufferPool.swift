/// Reuses the large per-pass buffers (tapes, gradients) from one training step to the next.
///
/// A pass over a chunk needs tens of megabytes of scratch; freshly allocated, every page of it faults in and is
/// zeroed by the kernel on each step, which cost about a tenth of the step time. The trainer keeps one pool per
/// precision and reclaims it after each update. Not thread-safe: only the thread driving the passes takes
/// buffers.
final class BufferPool<Scalar: BinaryFloatingPoint> {
    private var free: [Int: [ScalarBuffer<Scalar>]] = [:]
    private var lent: [ScalarBuffer<Scalar>] = []

    /// A buffer of `count` scalars, all zero if `zeroed`; otherwise its contents are stale and the caller must
    /// overwrite every element before reading it.
    func buffer(_ count: Int, zeroed: Bool) -> ScalarBuffer<Scalar> {
        let buffer: ScalarBuffer<Scalar>
        if let reused = free[count]?.popLast() {
            buffer = reused
            if zeroed { buffer.zero() }
        } else {
            buffer = ScalarBuffer(count: count)
        }
        lent.append(buffer)
        return buffer
    }

    func split(_ count: Int, zeroed: Bool) -> SplitPlanes<Scalar> {
        SplitPlanes(re: buffer(count, zeroed: zeroed), im: buffer(count, zeroed: zeroed))
    }

    /// Makes every buffer lent so far available again. Whoever took them must be done with them.
    func reclaim() {
        for buffer in lent { free[buffer.count, default: []].append(buffer) }
        lent.removeAll()
    }

    /// Fills every free buffer with NaN, so a pass that reads an element it did not write shows it (tests).
    func poisonFreeBuffers() {
        for buffers in free.values {
            for buffer in buffers { buffer.base.update(repeating: .nan, count: buffer.count) }
        }
    }
}
