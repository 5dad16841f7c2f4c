import Foundation
import Testing
@testable import KRUServe

/// `ScoreSlots` on its own: passes beyond the capacity wait for a slot in arrival order; a full queue, and a wait
/// that runs out, get 503 with Retry-After.
struct ScoreSlotsTests {
    /// A pass that tells when it has started and then holds its slot until the test lets it finish.
    final class HeldPass: @unchecked Sendable {
        private let started = DispatchSemaphore(value: 0)
        private let finish = DispatchSemaphore(value: 0)

        func run(_ value: Int) -> Int {
            started.signal()
            finish.wait()
            return value
        }

        func waitUntilStarted() async throws { try await offPool { self.started.wait() } }
        func release() { finish.signal() }
    }

    /// The finished passes' values, in the order they finished.
    final class Finished: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int] = []
        func append(_ value: Int) { lock.withLock { values.append(value) } }
        var all: [Int] { lock.withLock { values } }
    }

    @Test func passesBeyondTheCapacityWaitTheirTurnInOrder() async throws {
        let metrics = ServerMetrics()
        let slots = ScoreSlots(capacity: 1, queueCapacity: 2, maxWait: 60, metrics: metrics.scoring())
        let held = HeldPass()
        let finished = Finished()
        async let first = slots.run { held.run(1) }
        try await held.waitUntilStarted()
        async let second = slots.run { finished.append(2); return 2 }
        #expect(try await eventually { slots.waitingCount == 1 })
        async let third = slots.run { finished.append(3); return 3 }
        #expect(try await eventually { slots.waitingCount == 2 })

        // The queue is full: the next pass is refused at once.
        await #expect {
            _ = try await slots.run { 4 }
        } throws: { error in
            let refusal = error as? APIError
            return refusal?.status == .serviceUnavailable && refusal?.retryAfter == 1
                && refusal?.message.contains("1 texts are being scored and 2 wait") == true
        }
        #expect(finished.all.isEmpty, "nothing runs while the only slot is held")
        let busy = metrics.exposition()
        #expect(busy.contains("kru_scoring_passes_running 1.0\n") && busy.contains("kru_scoring_passes_waiting 2.0\n"))
        held.release()
        #expect(try await [first, second, third] == [1, 2, 3])
        #expect(finished.all == [2, 3], "the waiters ran in arrival order")
        #expect(slots.waitingCount == 0)
        #expect(try await slots.run { 5 } == 5, "the slot is free again")
        let idle = metrics.exposition()
        #expect(idle.contains("kru_scoring_passes_running 0.0\n") && idle.contains("kru_scoring_passes_waiting 0.0\n"))
    }

    /// A request whose client goes away while it waits leaves the queue at once, and its pass never runs.
    @Test func aCancelledWaiterLeavesTheQueue() async throws {
        let slots = ScoreSlots(capacity: 1, queueCapacity: 1, maxWait: 60, metrics: ServerMetrics().scoring())
        let held = HeldPass()
        let finished = Finished()
        async let first = slots.run { held.run(1) }
        try await held.waitUntilStarted()
        let cancellation = RequestCancellation()
        let waiter = Task { try await slots.run(cancellation: cancellation) { finished.append(2); return 2 } }
        #expect(try await eventually { slots.waitingCount == 1 })
        cancellation.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        #expect(slots.waitingCount == 0)
        held.release()
        #expect(try await first == 1)
        #expect(try await slots.run { 3 } == 3)
        #expect(finished.all.isEmpty, "the cancelled pass never ran")
    }

    @Test func aWaitThatRunsOutGets503() async throws {
        let slots = ScoreSlots(capacity: 1, queueCapacity: 1, maxWait: 0.2, metrics: ServerMetrics().scoring())
        let held = HeldPass()
        async let first = slots.run { held.run(1) }
        try await held.waitUntilStarted()
        let started = ContinuousClock.now
        await #expect {
            _ = try await slots.run { 2 }
        } throws: { error in
            let refusal = error as? APIError
            return refusal?.status == .serviceUnavailable
                && refusal?.message.contains("no scoring thread became free within 0.2 s") == true
        }
        #expect(ContinuousClock.now - started >= .milliseconds(200))
        #expect(slots.waitingCount == 0)
        held.release()
        #expect(try await first == 1)
    }
}
