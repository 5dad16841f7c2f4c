/// One stream of a batched session at a time: what a server needs to run a batch whose members come and go
/// (continuous batching). Each stream's values are a contiguous slice of every buffer, so both operations are
/// copies of those slices and allocate nothing.
extension KRUSession {
    /// Returns stream `stream` to the zero state — its recurrent state and its outputs — and leaves the other
    /// streams as they are, so a batch slot can start a new sequence while the others continue.
    /// - Precondition: `0 ≤ stream < batchSize`.
    public func reset(stream: Int) {
        precondition((0..<batchSize).contains(stream), "stream \(stream) is outside 0 ..< \(batchSize)")
        for buffers in layers {
            for buffer in buffers.streamBuffers {
                buffer.slice(stream, of: batchSize).update(repeating: 0)
            }
        }
        outputs.slice(stream, of: batchSize).update(repeating: 0)
    }

    /// Copies stream `source` of `session` — its recurrent state and its outputs — into stream `destination` of
    /// this session, so a sequence can move between batches of different sizes and continue exactly as it
    /// would have. `session` may be this session.
    /// - Precondition: both sessions run the same model; the stream indices are in range.
    public func copyStream(_ source: Int, of session: KRUSession, to destination: Int) {
        precondition(session.model === model, "copyStream: the sessions run different models")
        precondition((0..<session.batchSize).contains(source), "stream \(source) is outside 0 ..< \(session.batchSize)")
        precondition((0..<batchSize).contains(destination), "stream \(destination) is outside 0 ..< \(batchSize)")
        for (to, from) in zip(layers, session.layers) {
            for (target, origin) in zip(to.streamBuffers, from.streamBuffers) {
                target.slice(destination, of: batchSize).update(from: origin.slice(source, of: session.batchSize))
            }
        }
        outputs.slice(destination, of: batchSize).update(from: session.outputs.slice(source, of: session.batchSize))
    }
}

extension LayerBuffers {
    /// Every buffer that holds per-stream state (kru's output gathers Re and Im, so it is one too; for real cells
    /// the output is `first` itself and is listed once).
    fileprivate var streamBuffers: [UnsafeMutableBufferPointer<Float>] {
        output.baseAddress == first.baseAddress ? [first, second] : [first, second, output]
    }
}

extension UnsafeMutableBufferPointer where Element == Float {
    /// Stream `stream`'s values in a buffer that holds `batch` streams of equal width.
    fileprivate func slice(_ stream: Int, of batch: Int) -> Self {
        let width = count / batch
        return Self(rebasing: self[stream * width..<(stream + 1) * width])
    }

    /// Overwrites this buffer with `source`, which has the same count.
    fileprivate func update(from source: Self) {
        _ = update(fromContentsOf: UnsafeBufferPointer(source))
    }
}
