import Foundation

/// One thread advancing a batch of one model's sequences with one batched step per character — continuous
/// batching, as llama.cpp's server does with its slots: sequences join the batch between steps as soon as a slot
/// is free and leave it as soon as they finish, so throughput grows with concurrent requests while each sequence
/// still gets exactly the characters it would get alone.
///
/// A newcomer's prompt is prefilled outside the batch (single-stream steps, up to ``prefillBudget`` characters per
/// batch step, so the running sequences are held up by little; a prefix the prompt cache holds is restored, not
/// fed, and costs nothing) and its state then joins the batch; a prompt with more to feed than is left of the
/// budget is fed by the batch steps instead, one character per step. The thread keeps
/// the model's arithmetic off Swift's cooperative pool, where it would delay every other request's I/O.
final class BatchLane: @unchecked Sendable {
    /// Prompt characters fed by prefills per batch step, at most (the stall a step may add for newcomers).
    static let prefillBudget = 128

    private let model: ServedModel
    private let capacity: Int
    private let queueCapacity: Int
    private let promptCache: PromptStateCache
    private let metrics: ModelMetrics
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var waiting: [GenerationJob] = []
    private var running = 0
    private var stopping = false
    private var finishedThread = false

    /// - Parameters:
    ///   - capacity: sequences in the batch at most.
    ///   - queueCapacity: sequences waiting for a slot at most.
    ///   - promptCache: the states after recent prompts, shared by the model's lanes.
    ///   - name: the thread's name, as `top -H` shows it (at most 15 bytes count on Linux).
    init(model: ServedModel, capacity: Int, queueCapacity: Int, promptCache: PromptStateCache, metrics: ModelMetrics,
         name: String) {
        self.model = model
        self.capacity = capacity
        self.queueCapacity = queueCapacity
        self.promptCache = promptCache
        self.metrics = metrics
        let thread = Thread { [self] in
            #if os(Linux)
            // Foundation does not pass Thread.name to the kernel here; without this the thread keeps its creator's.
            try? Data(name.utf8.prefix(15)).write(to: URL(fileURLWithPath: "/proc/thread-self/comm"))
            #endif
            run()
        }
        thread.name = name
        thread.start()
    }

    /// Sequences running or waiting.
    var load: Int {
        condition.lock()
        defer { condition.unlock() }
        return running + waiting.count
    }

    /// Queues `jobs` if they fit beside what runs and waits; returns whether they were taken.
    func offer(_ jobs: [GenerationJob]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard running + waiting.count + jobs.count <= capacity + queueCapacity else { return false }
        waiting.append(contentsOf: jobs)
        metrics.queueLength.increment(by: Double(jobs.count))
        condition.signal()
        return true
    }

    /// Ends the thread after cancelling whatever still runs or waits (finished with ``FinishReason/shutdown``).
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        while !finishedThread { condition.wait() }
        condition.unlock()
    }

    private func run() {
        let batch = StreamBatch(model: model, capacity: capacity, promptCache: promptCache)
        var active: [GenerationJob] = []  // active[b] generates stream b of the batch
        while true {
            condition.lock()
            while active.isEmpty && waiting.isEmpty && !stopping { condition.wait() }
            if stopping {
                // The counts are reset below; a running job's slot release would lock `condition` again.
                active.forEach { $0.releaseSlot = nil }
                (active + waiting).forEach { $0.finish(.shutdown) }
                metrics.queueLength.decrement(by: Double(waiting.count))
                metrics.activeSequences.decrement(by: Double(running))
                waiting.removeAll()
                running = 0
                finishedThread = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let stillRunning = active.filter { !$0.isFinished }.count
            let admitted = Array(waiting.prefix(max(0, capacity - stillRunning)))
            waiting.removeFirst(admitted.count)
            metrics.queueLength.decrement(by: Double(admitted.count))
            // Counted as running from here on, so the lane never looks idle while it starts them.
            setRunning(stillRunning + admitted.count)
            condition.unlock()
            for job in admitted { job.releaseSlot = { [weak self] in self?.releaseSlot() } }

            active = rearrange(batch, active: active, admitted: admitted)
            condition.lock()
            setRunning(active.count)
            condition.unlock()
            guard !active.isEmpty else { continue }

            let started = ContinuousClock.now
            batch.step(active.map(\.nextInput))
            var generated = 0
            for (stream, job) in active.enumerated() {
                if job.hasJustFedItsPrompt { batch.cachePrompt(job.settings.prompt, ofStream: stream) }
                if batch.withLogits(of: stream, { job.advance(logits: $0) }) { generated += 1 }
                if let ttft = job.takeTimeToFirstToken() { metrics.timeToFirstToken.record(ttft) }
            }
            metrics.stepDuration.record(ContinuousClock.now - started)
            metrics.batchSize.record(Double(active.count))
            metrics.generatedTokens.increment(by: Int64(generated))
            metrics.rate.add(generated)
        }
    }

    /// A running job finished: its slot counts as free at once, not only when the next step's batch is arranged.
    /// Otherwise a client that sends its next request as soon as it hears of the end can find every lane looking
    /// full, and its request may wait in a lane whose sequences all run on for hundreds of milliseconds.
    private func releaseSlot() {
        condition.lock()
        setRunning(running - 1)
        condition.unlock()
    }

    /// With the lock held: the running count, and the gauge with it.
    private func setRunning(_ count: Int) {
        metrics.activeSequences.increment(by: Double(count - running))
        running = count
    }

    /// Ends the jobs that must stop (finished, client gone, out of time), starts the admitted ones (prefilling
    /// their prompts within the budget), and arranges the batch so that the returned array's job b owns stream b.
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
            record(job, generated: job.isFinished || !job.settings.prompt.isEmpty ? 0 : 1)
        }
        let layout = batch.rearrange(survivors: survivors, newcomers: newcomers.count)
        var byStream = [GenerationJob?](repeating: nil, count: batch.count)
        for (old, new) in zip(survivors, layout.survivors) { byStream[new] = active[old] }
        var budget = Self.prefillBudget
        for (job, stream) in zip(newcomers, layout.newcomers) {
            byStream[stream] = job
            let prompt = job.settings.prompt
            guard !prompt.isEmpty else { continue }
            // The budget counts the characters fed, not those the prompt cache supplies: a long shared instruction
            // that is cached costs a newcomer no batch steps.
            if let prefilled = batch.prefill(prompt, into: stream, feedingAtMost: budget) {
                budget -= prefilled.fed
                metrics.cachedPromptTokens.increment(by: Int64(prefilled.cached))
                job.promptWasFed()
                let generated = batch.withLogits(of: stream) { job.advance(logits: $0) }
                record(job, generated: generated ? 1 : 0)
            } else {
                job.feedPromptInBatch()
            }
        }
        return byStream.map { $0! }
    }

    /// Counts characters generated outside a batch step (a first character without context, or after a prefill).
    private func record(_ job: GenerationJob, generated: Int) {
        if let ttft = job.takeTimeToFirstToken() { metrics.timeToFirstToken.record(ttft) }
        metrics.generatedTokens.increment(by: Int64(generated))
        metrics.rate.add(generated)
    }
}
