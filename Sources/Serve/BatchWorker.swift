import Foundation

/// Generates every sequence of one model on one thread, advancing all of them with one batched step per
/// character — continuous batching, as llama.cpp's server does with its slots: sequences join the batch
/// between steps as soon as a slot is free and leave it as soon as they finish, so throughput grows with
/// concurrent requests while each sequence still gets exactly the characters it would get alone.
///
/// A prompt is fed one character per step beside the other sequences' generation, so a long prompt never holds
/// the batch up. Up to `maxBatch` sequences share the batch; up to `maxQueue` more wait; beyond that
/// ``submit(_:)`` refuses with 503 and `Retry-After`. A dedicated thread keeps the model's arithmetic off Swift's
/// cooperative pool, where it would delay every other request's I/O.
final class BatchWorker: @unchecked Sendable {
    let model: ServedModel
    private let limits: ServerLimits
    private let metrics: ModelMetrics
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var waiting: [GenerationJob] = []
    private var activeCount = 0
    private var draining = false
    private var stopping = false
    private var finishedThread = false

    init(model: ServedModel, limits: ServerLimits, metrics: ServerMetrics) {
        self.model = model
        self.limits = limits
        self.metrics = metrics.model(model.name)
        let thread = Thread { [self] in run() }
        thread.name = "kru-batch-\(model.name)"
        thread.start()
    }

    /// Queues a request's choices, all or none.
    func submit(_ jobs: [GenerationJob]) throws {
        condition.lock()
        defer { condition.unlock() }
        guard !draining else {
            throw APIError(.serviceUnavailable, "the server is shutting down; retry on another replica", retryAfter: 1)
        }
        guard activeCount + waiting.count + jobs.count <= limits.maxBatch + limits.maxQueue else {
            metrics.rejected.increment(by: Int64(jobs.count))
            throw APIError(.serviceUnavailable,
                           "model \(model.name) is busy: \(activeCount) sequences running and \(waiting.count) waiting "
                           + "(the limit is \(limits.maxBatch) + \(limits.maxQueue)); retry later", retryAfter: 1)
        }
        waiting.append(contentsOf: jobs)
        metrics.queueLength.set(to: Double(waiting.count))
        condition.signal()
    }

    /// Stops taking new requests; what was accepted continues.
    func beginDraining() {
        condition.lock()
        draining = true
        condition.unlock()
    }

    /// True once nothing is queued or running.
    var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return activeCount == 0 && waiting.isEmpty
    }

    /// Ends the worker thread after cancelling whatever still runs (finished with ``FinishReason/shutdown``).
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        while !finishedThread { condition.wait() }
        condition.unlock()
    }

    private func run() {
        let batch = StreamBatch(model: model)
        var active: [GenerationJob] = []  // active[b] generates stream b of the batch
        var window = TokenRateWindow()
        while true {
            condition.lock()
            while active.isEmpty && waiting.isEmpty && !stopping { condition.wait() }
            if stopping {
                (active + waiting).forEach { $0.finish(.shutdown) }
                waiting.removeAll()
                activeCount = 0
                finishedThread = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let stillRunning = active.filter { !$0.isFinished }.count
            let admitted = Array(waiting.prefix(max(0, limits.maxBatch - stillRunning)))
            waiting.removeFirst(admitted.count)
            metrics.queueLength.set(to: Double(waiting.count))
            condition.unlock()

            active = rearrange(batch, active: active, admitted: admitted)
            condition.lock()
            activeCount = active.count
            condition.unlock()
            metrics.activeSequences.set(to: Double(active.count))
            guard !active.isEmpty else {
                window = TokenRateWindow()
                metrics.tokensPerSecond.set(to: 0)
                continue
            }

            let started = ContinuousClock.now
            batch.step(active.map(\.nextInput))
            var generated = 0
            for (stream, job) in active.enumerated() {
                if batch.withLogits(of: stream, { job.advance(logits: $0) }) { generated += 1 }
                if let ttft = job.takeTimeToFirstToken() { metrics.timeToFirstToken.record(ttft) }
            }
            metrics.stepDuration.record(ContinuousClock.now - started)
            metrics.batchSize.record(Double(active.count))
            metrics.generatedTokens.increment(by: Int64(generated))
            if let rate = window.add(generated, at: .now) { metrics.tokensPerSecond.set(to: rate) }
        }
    }

    /// Ends the jobs that must stop (finished, client gone, out of time), starts the admitted ones, and arranges the
    /// batch so that the returned array's job b owns stream b.
    private func rearrange(_ batch: StreamBatch, active: [GenerationJob],
                           admitted: [GenerationJob]) -> [GenerationJob] {
        let now = ContinuousClock.now
        var survivors: [Int] = []
        for (stream, job) in active.enumerated() where !job.isFinished {
            if let reason = job.interruption(at: now) { job.finish(reason) } else { survivors.append(stream) }
        }
        var newcomers: [GenerationJob] = []
        for job in admitted {
            if let reason = job.interruption(at: now) {
                job.finish(reason)
                continue
            }
            metrics.promptTokens.increment(by: Int64(job.settings.prompt.count))
            if job.start() { newcomers.append(job) }
            if let ttft = job.takeTimeToFirstToken() {
                metrics.timeToFirstToken.record(ttft)
                metrics.generatedTokens.increment()
            }
        }
        let layout = batch.rearrange(survivors: survivors, newcomers: newcomers.count)
        var byStream = [GenerationJob?](repeating: nil, count: batch.count)
        for (old, new) in zip(survivors, layout.survivors) { byStream[new] = active[old] }
        for (job, new) in zip(newcomers, layout.newcomers) { byStream[new] = job }
        return byStream.map { $0! }
    }
}

/// Characters generated per second over windows of at least a second, for the tokens-per-second gauge.
struct TokenRateWindow {
    private var start = ContinuousClock.now
    private var count = 0

    /// Adds `tokens`; once a window of a second or more is complete, returns its rate and starts the next.
    mutating func add(_ tokens: Int, at now: ContinuousClock.Instant) -> Double? {
        count += tokens
        let elapsed = now - start
        guard elapsed >= .seconds(1) else { return nil }
        defer { start = now; count = 0 }
        let (seconds, attoseconds) = elapsed.components
        return Double(count) / (Double(seconds) + Double(attoseconds) * 1e-18)
    }
}
