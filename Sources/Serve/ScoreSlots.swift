import Foundation

/// The teacher-forced passes over texts — `/v1/score`, and the prompts of `echo` with `logprobs` — each on a thread
/// of its own, off Swift's cooperative pool where a long pass would delay every other request's I/O.
///
/// At most `capacity` passes run at once; up to `queueCapacity` more wait for a turn, in arrival order, for at most
/// `maxWait` seconds. Beyond the queue, or after the wait, a request gets 503 with `Retry-After`. Waiting rather
/// than refusing at once is what clients that score many texts concurrently (evaluation harnesses) need: they send
/// more requests at once than there are cores, and would otherwise spend their retries on 503s.
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
    /// Resumed with true when a slot is handed over, with false when the wait runs out.
    private var waiting: [(ticket: Int, turn: CheckedContinuation<Bool, Never>)] = [] {
        didSet { metrics.waiting.set(to: Double(waiting.count)) }
    }
    private var tickets = 0

    init(capacity: Int, queueCapacity: Int, maxWait: Double, metrics: ScoringMetrics) {
        self.capacity = capacity
        self.queueCapacity = queueCapacity
        self.maxWait = maxWait
        self.metrics = metrics
    }

    /// Passes waiting for a slot.
    var waitingCount: Int { lock.withLock { waiting.count } }

    /// Runs `work` on a thread of its own once a slot is free; throws 503 when the queue is full or the wait runs out.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        try await takeSlot()
        return await withCheckedContinuation { continuation in
            Thread {
                let result = work()
                self.releaseSlot()
                continuation.resume(returning: result)
            }.start()
        }
    }

    private func takeSlot() async throws {
        var ticket: Int?
        let admitted = await withCheckedContinuation { (turn: CheckedContinuation<Bool, Never>) in
            lock.lock()
            if running < capacity {
                running += 1
                lock.unlock()
                turn.resume(returning: true)
            } else if waiting.count < queueCapacity {
                tickets += 1
                let mine = tickets
                ticket = mine
                waiting.append((mine, turn))
                lock.unlock()
                expire(mine)
            } else {
                lock.unlock()
                turn.resume(returning: false)
            }
        }
        guard admitted else {
            throw APIError(.serviceUnavailable, ticket == nil
                ? "\(capacity) texts are being scored and \(queueCapacity) wait; retry later"
                : "no scoring thread became free within \(formatSeconds(maxWait)) s; retry later",
                retryAfter: 1)
        }
    }

    /// After `maxWait`, the waiter holding `ticket`, if it still waits, leaves the queue empty-handed.
    private func expire(_ ticket: Int) {
        Task { [maxWait] in
            try? await Task.sleep(for: .seconds(maxWait))
            let turn = lock.withLock { () -> CheckedContinuation<Bool, Never>? in
                guard let index = waiting.firstIndex(where: { $0.ticket == ticket }) else { return nil }
                return waiting.remove(at: index).turn
            }
            turn?.resume(returning: false)
        }
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
        next.resume(returning: true)
    }
}
