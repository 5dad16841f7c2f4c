import Foundation

/// Hands generation events from a model's batch worker (a plain thread) to the task writing the response.
///
/// Events that arrive while the writer is busy collect here and are taken together, so a writer that falls behind
/// the model sends several characters in one write instead of one write per character. The worker never waits.
final class EventMailbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [GenerationEvent] = []
    private var waiter: CheckedContinuation<[GenerationEvent], Never>?
    private var closed = false

    /// Called by the worker thread.
    func post(_ event: GenerationEvent) {
        lock.lock()
        events.append(event)
        let (waiter, taken) = takeForWaiter()
        lock.unlock()
        waiter?.resume(returning: taken)
    }

    /// Every event posted since the last call, waiting for at least one; empty when the waiting task is cancelled.
    func take() async -> [GenerationEvent] {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                lock.lock()
                if !events.isEmpty || closed {
                    let taken = events
                    events.removeAll(keepingCapacity: true)
                    lock.unlock()
                    continuation.resume(returning: taken)
                } else {
                    waiter = continuation
                    lock.unlock()
                }
            }
        } onCancel: {
            lock.lock()
            closed = true
            let waiter = self.waiter
            self.waiter = nil
            lock.unlock()
            waiter?.resume(returning: [])
        }
    }

    /// With the lock held: the waiting writer and the events to give it, if one waits.
    private func takeForWaiter() -> (CheckedContinuation<[GenerationEvent], Never>?, [GenerationEvent]) {
        guard let waiter else { return (nil, []) }
        self.waiter = nil
        let taken = events
        events.removeAll(keepingCapacity: true)
        return (waiter, taken)
    }
}
