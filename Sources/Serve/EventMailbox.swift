import Foundation

/// Hands generation events from a model's batch lane (a plain thread) to the task writing the response.
///
/// Events that arrive while the writer is busy or pausing collect here and are taken together, so a stream sends
/// several characters in one write instead of one write per character. The lane never waits.
final class EventMailbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [GenerationEvent] = []
    private var waiter: CheckedContinuation<[GenerationEvent], Never>?
    private var closed = false
    /// A writer pausing between writes, woken early when a choice finishes.
    private var sleeper: CheckedContinuation<Void, Never>?
    private var finishPending = false

    /// Called by the lane's thread.
    func post(_ event: GenerationEvent) {
        lock.lock()
        events.append(event)
        let (waiter, taken) = takeForWaiter()
        var sleeper: CheckedContinuation<Void, Never>?
        if case .finished = event {
            sleeper = self.sleeper
            self.sleeper = nil
            finishPending = sleeper == nil
        }
        lock.unlock()
        waiter?.resume(returning: taken)
        sleeper?.resume()
    }

    /// Waits until `deadline`, or less: until a choice finishes (so a stream's end is never held back) or the task
    /// is cancelled.
    func pause(until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            group.addTask { await self.finishSignal() }
            await group.next()
            group.cancelAll()
        }
    }

    private func finishSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                lock.lock()
                if finishPending || Task.isCancelled {
                    lock.unlock()
                    continuation.resume()
                } else {
                    sleeper = continuation
                    lock.unlock()
                }
            }
        } onCancel: {
            lock.lock()
            let sleeper = self.sleeper
            self.sleeper = nil
            lock.unlock()
            sleeper?.resume()
        }
    }

    /// Every event posted since the last call, waiting for at least one; empty when the waiting task is cancelled.
    func take() async -> [GenerationEvent] {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                lock.lock()
                if !events.isEmpty || closed {
                    let taken = events
                    events.removeAll(keepingCapacity: true)
                    finishPending = false
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
        finishPending = false
        return (waiter, taken)
    }
}
