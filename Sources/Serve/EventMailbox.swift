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
        lock.lock()
        events.append(event)
        var handOver: (CheckedContinuation<[GenerationEvent], Never>, [GenerationEvent])?
        if let waiter, isDue(event) {
            handOver = (waiter, takeAll())
            self.waiter = nil
        }
        lock.unlock()
        if let (waiter, taken) = handOver { waiter.resume(returning: taken) }
    }

    /// Events posted and not yet handed over.
    var pendingEventCount: Int { lock.withLock { events.count } }

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
