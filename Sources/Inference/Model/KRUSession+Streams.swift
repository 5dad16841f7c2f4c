/// One stream of a batched session at a time: what a server needs to run a batch whose members come and go
/// (continuous batching). Each stream's values are a contiguous slice of every buffer, so both operations are
/// copies of those slices and allocate nothing.
extension KRUSession {
    /// Returns stream `stream` to the zero state — its recurrent state and its outputs — and leaves the other
    /// streams as they are, so a batch slot can start a new sequence while the others continue.
    /// - Precondition: `0 ≤ stream < batchSize`.
    public func reset(stream: Int) {
        precondition((0..<batchSize).contains(stream), "stream \(stream) is outside 0 ..< \(batchSize)")
        layers.forEach { $0.zero(stream: stream) }
        let k = model.description.outputWidth
        (outputs.baseAddress! + stream * k).update(repeating: 0, count: k)
    }

    /// Copies stream `source` of `session` — its recurrent state and its outputs — into stream `destination` of
    /// this session, so a sequence can move between batches of different sizes and continue exactly as it
    /// would have. `session` may be this session.
    /// - Precondition: both sessions run the same model; the stream indices are in range.
    public func copyStream(_ source: Int, of session: KRUSession, to destination: Int) {
        precondition(session.model === model, "copyStream: the sessions run different models")
        precondition((0..<session.batchSize).contains(source), "stream \(source) is outside 0 ..< \(session.batchSize)")
        precondition((0..<batchSize).contains(destination), "stream \(destination) is outside 0 ..< \(batchSize)")
        for (to, from) in zip(layers, session.layers) { to.copy(stream: source, of: from, to: destination) }
        let k = model.description.outputWidth
        (outputs.baseAddress! + destination * k).update(from: session.outputs.baseAddress! + source * k, count: k)
    }
}
