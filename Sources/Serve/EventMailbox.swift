import Foundation

/// Hands generation events from a model's batch lane (a plain thread) to the task writing the response.
///
/// The writer waits in ``take()``; the lane hands it what has collected at most once per `interval` (and at once
/// when a choice finishes, so a stream's end is never held back), so a stream sends several characters per write
/// instead of costing a wake-up, a chunk and a write per character. No timer is needed: every running sequence
/// posts a character per batch step, so the hand-over after the interval comes at the next step at the latest.
/// The lane never waits.
final class EventMailbox: @unchecked Sendable {
    private let interval: Duration?
    private let lock = NSLock()
    // Guarded by `lock`:
    private var events: [GenerationEvent] = []
    private var waiter: CheckedContinuation<[GenerationEvent], Never>?
    private var lastHandOver: ContinuousClock.Instant?
    private var closed = false

    /// - Parameter interval: the least time between two hand-overs; nil: only when a choice finishes.
    init(interval: Duration?) { self.interval = interval }

    /// Called by the lane's thread.
    func post(_ event: GenerationEvent) {
        deliver(lock.withLock {
            events.append(event)
            return dueHandOver(after: event)
        })
    }

    /// Called by the lane's thread: one character of choice `choice`. It joins the previous event when that holds
    /// the same choice's characters, so a stream allocates an array per hand-over rather than one per character.
    func post(_ token: GeneratedToken, choice: Int) {
        deliver(lock.withLock {
            if case .tokens(choice, var tokens)? = events.last {
                events.removeLast()  // leaves `tokens` the only reference, so the append extends it in place
                tokens.append(token)
                events.append(.tokens(choice: choice, tokens))
            } else {
                events.append(.tokens(choice: choice, [token]))
            }
            return dueHandOver(after: events[events.count - 1])
        })
    }

    /// The events posted and not yet handed over (for tests).
    var pendingEvents: [GenerationEvent] { lock.withLock { events } }

    /// The events posted since the last call, waiting until some are due; empty when the waiting task is cancelled.
    func take() async -> [GenerationEvent] {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                lock.lock()
                if closed || (!events.isEmpty && (events.contains(where: Self.isFinish) || intervalPassed)) {
                    let taken = takeAll()
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

    /// With the lock held: the waiting writer and every collected event, if the events are due now that `event` came.
    private func dueHandOver(after event: GenerationEvent)
        -> (writer: CheckedContinuation<[GenerationEvent], Never>, events: [GenerationEvent])? {
        guard let waiter, isDue(event) else { return nil }
        self.waiter = nil
        return (waiter, takeAll())
    }

    /// Resumes the writer a hand-over is for, outside the lock.
    private func deliver(_ handOver: (writer: CheckedContinuation<[GenerationEvent], Never>,
                                      events: [GenerationEvent])?) {
        if let handOver { handOver.writer.resume(returning: handOver.events) }
    }

    /// With the lock held: whether the writer should get the events now that `event` came.
    private func isDue(_ event: GenerationEvent) -> Bool { Self.isFinish(event) || intervalPassed }

    /// With the lock held.
    private var intervalPassed: Bool {
        guard let interval else { return false }
        guard let lastHandOver else { return true }
        return ContinuousClock.now - lastHandOver >= interval
    }

    /// With the lock held: every collected event, marking the hand-over.
    private func takeAll() -> [GenerationEvent] {
        let taken = events
        events.removeAll(keepingCapacity: true)
        lastHandOver = .now
        return taken
    }

    private static func isFinish(_ event: GenerationEvent) -> Bool {
        if case .finished = event { true } else { false }
    }
}
