import Foundation

/// The teacher-forced passes over texts — `/v1/score`, and the prompts of `echo` with `logprobs` — each on a thread
/// of its own, off Swift's cooperative pool where a long pass would delay every other request's I/O.
///
/// At most `capacity` passes run at once; up to `queueCapacity` more wait for a turn, in arrival order, for at most
/// `maxWait` seconds. Beyond the queue, or after the wait, a request gets 503 with `Retry-After`. Waiting rather
/// than refusing at once is what clients that score many texts concurrently (evaluation harnesses) need: they send
/// more requests at once than there are cores, and would otherwise spend their retries on 503s. A request whose
/// client goes away leaves the queue at once.
final class ScoreSlots: @unchecked Sendable {
    private let capacity: Int
    private let queueCapacity: Int
    private let maxWait: Double
    private let metrics: ScoringMetrics
    private let lock = NSLock()
    // Guarded by `lock`:
    private var running = 0 {
        didSet { metrics.running.set(to: Double(running)) }
    }
    private var waiting: [(ticket: Int, turn: CheckedContinuation<Turn, Never>)] = [] {
        didSet { metrics.waiting.set(to: Double(waiting.count)) }
    }
    private var tickets = 0

    /// How a request's wait for a slot ended.
    private enum Turn {
        case admitted, queueFull, waitedTooLong, clientGone
    }

    init(capacity: Int, queueCapacity: Int, maxWait: Double, metrics: ScoringMetrics) {
        self.capacity = capacity
        self.queueCapacity = queueCapacity
        self.maxWait = maxWait
        self.metrics = metrics
    }

    /// Passes waiting for a slot.
    var waitingCount: Int { lock.withLock { waiting.count } }

    /// Runs `work` on a thread of its own once a slot is free. Throws 503 when the queue is full or the wait runs
    /// out, and `CancellationError` when `cancellation` fires while the request waits.
    func run<T: Sendable>(cancellation: RequestCancellation? = nil, _ work: @escaping @Sendable () -> T) async throws
        -> T {
        try await takeSlot(cancellation: cancellation)
        return await withCheckedContinuation { continuation in
            Thread {
                let result = work()
                self.releaseSlot()
                continuation.resume(returning: result)
            }.start()
        }
    }

    private func takeSlot(cancellation: RequestCancellation?) async throws {
        let turn = await withCheckedContinuation { (turn: CheckedContinuation<Turn, Never>) in
            lock.lock()
            if running < capacity {
                running += 1
                lock.unlock()
                turn.resume(returning: .admitted)
            } else if waiting.count < queueCapacity {
                tickets += 1
                let ticket = tickets
                waiting.append((ticket, turn))
                lock.unlock()
                let maxWait = maxWait
                Task {
                    try? await Task.sleep(for: .seconds(maxWait))
                    self.leaveQueue(ticket, .waitedTooLong)
                }
                cancellation?.onCancel { self.leaveQueue(ticket, .clientGone) }
            } else {
                lock.unlock()
                turn.resume(returning: .queueFull)
            }
        }
        switch turn {
        case .admitted: return
        case .clientGone: throw CancellationError()
        case .queueFull:
            throw APIError(.serviceUnavailable, "\(capacity) texts are being scored and \(queueCapacity) wait; retry "
                           + "later", retryAfter: 1)
        case .waitedTooLong:
            throw APIError(.serviceUnavailable, "no scoring thread became free within \(formatSeconds(maxWait)) s; "
                           + "retry later", retryAfter: 1)
        }
    }

    /// The waiter holding `ticket`, if it still waits, leaves the queue without a slot.
    private func leaveQueue(_ ticket: Int, _ reason: Turn) {
        let turn = lock.withLock { () -> CheckedContinuation<Turn, Never>? in
            guard let index = waiting.firstIndex(where: { $0.ticket == ticket }) else { return nil }
            return waiting.remove(at: index).turn
        }
        turn?.resume(returning: reason)
    }

    /// A pass ended: its slot goes to the first waiter, or becomes free.
    private func releaseSlot() {
        lock.lock()
        guard !waiting.isEmpty else {
            running -= 1
            lock.unlock()
            return
        }
        let next = waiting.removeFirst().turn
        lock.unlock()
        next.resume(returning: .admitted)
    }
}
