import Foundation

/// Generation for one model: its ``BatchLane``s (one thread each; by default one per core, so that concurrent
/// requests use every core), their shared ``PromptStateCache``, and the admission of new requests.
///
/// A request's choices go to the least loaded lane. Up to `maxBatch` sequences run at once (split evenly over the
/// lanes) and up to `maxQueue` more wait; beyond that ``submit(_:)`` refuses with 503 and `Retry-After`.
final class BatchWorker: @unchecked Sendable {
    let model: ServedModel
    private let lanes: [BatchLane]
    private let limits: ServerLimits
    private let metrics: ModelMetrics
    private let lock = NSLock()
    private var draining = false

    init(model: ServedModel, limits: ServerLimits, metrics: ServerMetrics) {
        self.model = model
        self.limits = limits
        let metrics = metrics.model(model.name)
        self.metrics = metrics
        let count = max(1, min(limits.threadsPerModel, limits.maxBatch))
        let capacity = (limits.maxBatch + count - 1) / count
        let queue = (limits.maxQueue + count - 1) / count
        let promptCache = PromptStateCache(capacityBytes: limits.promptCacheBytes)
        lanes = (0..<count).map {
            BatchLane(model: model, capacity: capacity, queueCapacity: queue, promptCache: promptCache,
                      metrics: metrics, name: "kru-lane-\($0)")
        }
    }

    /// Queues a request's choices, all on one lane, or refuses with 503.
    func submit(_ jobs: [GenerationJob]) throws {
        try lock.withLock {
            guard !draining else {
                throw APIError(.serviceUnavailable, "the server is shutting down; retry on another replica",
                               retryAfter: 1)
            }
            let loads = lanes.map(\.load)
            let least = loads.indices.min { loads[$0] < loads[$1] }!
            guard lanes[least].offer(jobs) else {
                metrics.rejected.increment(by: Int64(jobs.count))
                throw APIError(.serviceUnavailable,
                               "model \(model.name) is busy: \(loads.reduce(0, +)) sequences running or waiting (the "
                               + "limit is \(limits.maxBatch) + \(limits.maxQueue)); retry later", retryAfter: 1)
            }
        }
    }

    /// Stops taking new requests; what was accepted continues.
    func beginDraining() {
        lock.withLock { draining = true }
    }

    /// True once nothing is queued or running.
    var isIdle: Bool { lanes.allSatisfy { $0.load == 0 } }

    /// Ends the lanes' threads, cancelling whatever still runs (finished with ``FinishReason/shutdown``).
    func stop() { lanes.forEach { $0.stop() } }
}
