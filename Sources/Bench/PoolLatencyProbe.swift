import Dispatch
import Foundation
import KRUInference

/// Section 6: whether generation blocks Swift's cooperative thread pool. Two generations run as tasks (unbounded,
/// consumed as fast as they come) while a third task sleeps 20 ms, again and again; how much later than 20 ms it
/// wakes up is the delay the generations impose on other async work. Two references: the probe alone (the
/// machine's own wake-up delay), and the probe beside two plain threads that spin outside Swift concurrency
/// (what any two busy threads cost on these cores: the operating system has to give the waking task a core).
/// ``TextGeneration`` yields after ``TextGeneration/yieldInterval`` of work, so the generations should add about
/// one interval or one token, whichever is longer, to what the spinning threads cost; a generation that kept its
/// pool thread would hold the probe back until it ended.
struct PoolLatencyResult: Codable {
    let model: String
    let sleeps: Int
    /// One token's time when sampling alone (from section 5's rate).
    let tokenSeconds: Double
    let yieldIntervalSeconds: Double
    /// Wake-up delay beyond 20 ms with nothing else running: median and largest.
    let idleMedianExcessSeconds: Double
    let idleMaximumExcessSeconds: Double
    /// The same beside two spinning threads.
    let spinningMedianExcessSeconds: Double
    let spinningMaximumExcessSeconds: Double
    /// The same while two generations run.
    let busyMedianExcessSeconds: Double
    let busyMaximumExcessSeconds: Double
    /// Tokens the two generations produced meanwhile (they did run).
    let tokensGenerated: Int
}

enum PoolLatencyProbe {
    static func run(model: KRUModel, name: String, tokenSeconds: Double, sleeps: Int) -> PoolLatencyResult {
        blocking {
            let idle = await excessDelays(sleeps)
            let spinning = await besideSpinningThreads { await excessDelays(sleeps) }
            let counter = TokenCounter()
            let generations = (0..<2).map { g in
                Task {
                    var count = 0
                    for await _ in try model.generate(prime: "",
                                                      options: GenerationOptions(length: nil, seed: UInt64(g))) {
                        count += 1
                    }
                    await counter.add(count)
                }
            }
            // Let both generations start before measuring.
            try? await Task.sleep(for: .milliseconds(20))
            let busy = await excessDelays(sleeps)
            for task in generations { task.cancel() }
            for task in generations { _ = await task.result }
            let yieldInterval = TextGeneration.yieldInterval.components
            return PoolLatencyResult(
                model: name, sleeps: sleeps, tokenSeconds: tokenSeconds,
                yieldIntervalSeconds: Double(yieldInterval.seconds) + Double(yieldInterval.attoseconds) * 1e-18,
                idleMedianExcessSeconds: median(idle), idleMaximumExcessSeconds: idle.max() ?? 0,
                spinningMedianExcessSeconds: median(spinning), spinningMaximumExcessSeconds: spinning.max() ?? 0,
                busyMedianExcessSeconds: median(busy), busyMaximumExcessSeconds: busy.max() ?? 0,
                tokensGenerated: await counter.total)
        }
    }

    /// Sleeps 20 ms `count` times in a task of its own and returns how much longer each sleep took.
    private static func excessDelays(_ count: Int) async -> [Double] {
        await Task {
            var excess: [Double] = []
            let clock = ContinuousClock()
            for _ in 0..<count {
                let start = clock.now
                try? await Task.sleep(for: .milliseconds(20))
                let elapsed = (clock.now - start).components
                excess.append(Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18 - 0.020)
            }
            return excess
        }.value
    }

    /// Runs `body` while two threads outside the cooperative pool spin.
    private static func besideSpinningThreads<T>(_ body: () async -> T) async -> T {
        let stop = StopFlag()
        let threads = (0..<2).map { _ in
            Thread {
                var x = 1.0
                while !stop.isSet { for _ in 0..<10_000 { x = x * 1.000001 + 1e-9 } }
                stop.keep(x)
            }
        }
        threads.forEach { $0.start() }
        let result = await body()
        stop.set()
        return result
    }

    private static func median(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.sorted()[values.count / 2]
    }

    /// Runs async work from the synchronous benchmark; the waiting thread is the main thread, not one of the pool's.
    private static func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task {
            box.value = await body()
            done.signal()
        }
        done.wait()
        return box.value!
    }
}

/// A flag the spinning threads poll, written once by the probe, and where they leave their results.
private final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    private var kept = 0.0
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
    /// Keeps a spinning thread's result, so its loop is not optimised away.
    func keep(_ x: Double) { lock.withLock { kept += x } }
}

private actor TokenCounter {
    var total = 0
    func add(_ count: Int) { total += count }
}

/// Carries a result out of the task; written once before the semaphore is signalled, read after it.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
