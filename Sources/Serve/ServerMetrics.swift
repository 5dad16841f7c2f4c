import Foundation
import Prometheus

/// The server's Prometheus metrics (`GET /metrics`), kept in a registry of its own so that every server — and
/// every test — counts only its own traffic.
final class ServerMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    private let lock = NSLock()
    private var rates: [TokenRate] = []  // guarded by `lock`

    /// Latency buckets from 1 ms to 2 min: time to first token is milliseconds, whole completions seconds.
    private static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
    ]
    private static let stepBuckets: [Duration] = [
        .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
        .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50),
    ]

    /// The Prometheus text exposition of every metric (the rate gauges brought up to date first).
    func exposition() -> String {
        lock.withLock { rates }.forEach { $0.add(0) }
        return registry.emitToString()
    }

    /// An HTTP request answered with `status` on `endpoint` (a route pattern such as `/v1/completions`).
    func recordRequest(endpoint: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: Self.requests, labels: [("endpoint", endpoint), ("status", String(status))])
            .increment()
        registry.makeDurationHistogram(descriptor: Self.requestDuration, labels: [("endpoint", endpoint)],
                                       buckets: Self.latencyBuckets)
            .record(duration)
    }

    /// The metrics of one model's batch worker.
    func model(_ name: String) -> ModelMetrics {
        let labels = [("model", name)]
        let rate = TokenRate(gauge: registry.makeGauge(descriptor: Self.tokensPerSecond, labels: labels))
        lock.withLock { rates.append(rate) }
        return ModelMetrics(
            generatedTokens: registry.makeCounter(descriptor: Self.generatedTokens, labels: labels),
            promptTokens: registry.makeCounter(descriptor: Self.promptTokens, labels: labels),
            cachedPromptTokens: registry.makeCounter(descriptor: Self.cachedPromptTokens, labels: labels),
            rate: rate,
            queueLength: registry.makeGauge(descriptor: Self.queueLength, labels: labels),
            activeSequences: registry.makeGauge(descriptor: Self.activeSequences, labels: labels),
            rejected: registry.makeCounter(descriptor: Self.rejected, labels: labels),
            batchSize: registry.makeValueHistogram(descriptor: Self.batchSize, labels: labels,
                                                   buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256]),
            stepDuration: registry.makeDurationHistogram(descriptor: Self.stepDuration, labels: labels,
                                                         buckets: Self.stepBuckets),
            timeToFirstToken: registry.makeDurationHistogram(descriptor: Self.timeToFirstToken, labels: labels,
                                                             buckets: Self.latencyBuckets))
    }

    /// The gauges of the scoring threads (``ScoreSlots``).
    func scoring() -> ScoringMetrics {
        ScoringMetrics(running: registry.makeGauge(descriptor: Self.scoresRunning),
                       waiting: registry.makeGauge(descriptor: Self.scoresWaiting))
    }

    private static func name(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "kru", metricName: name, unitName: unit, helpText: help)
    }

    private static var requests: MetricNameDescriptor {
        name("http_requests", "total", "HTTP requests answered, by endpoint and status.")
    }
    private static var requestDuration: MetricNameDescriptor {
        name("http_request_duration", "seconds", "From a request's arrival to its last byte, by endpoint.")
    }
    private static var generatedTokens: MetricNameDescriptor {
        name("generated_tokens", "total", "Characters generated.")
    }
    private static var promptTokens: MetricNameDescriptor {
        name("prompt_tokens", "total", "Prompt characters of the sequences started (those from the cache included).")
    }
    private static var cachedPromptTokens: MetricNameDescriptor {
        name("prompt_tokens_cached", "total", "Prompt characters whose state came from the prompt cache, not fed.")
    }
    private static var tokensPerSecond: MetricNameDescriptor {
        name("generated_tokens_per_second", "", "Characters generated per second, over the last second or more.")
    }
    private static var queueLength: MetricNameDescriptor {
        name("queue_length", "", "Sequences waiting for a batch slot.")
    }
    private static var activeSequences: MetricNameDescriptor {
        name("active_sequences", "", "Sequences in the batch.")
    }
    private static var rejected: MetricNameDescriptor {
        name("rejected_sequences", "total", "Sequences refused because the queue was full.")
    }
    private static var batchSize: MetricNameDescriptor {
        name("batch_size", "", "Sequences advanced by each batched step.")
    }
    private static var stepDuration: MetricNameDescriptor {
        name("step_duration", "seconds", "Time of one batched step with sampling.")
    }
    private static var timeToFirstToken: MetricNameDescriptor {
        name("time_to_first_token", "seconds", "From a sequence's arrival to its first generated character.")
    }
    private static var scoresRunning: MetricNameDescriptor {
        name("scoring_passes_running", "", "Teacher-forced passes running (/v1/score, echo with logprobs).")
    }
    private static var scoresWaiting: MetricNameDescriptor {
        name("scoring_passes_waiting", "", "Teacher-forced passes waiting for a scoring thread.")
    }
}

/// The gauges ``ScoreSlots`` keeps up to date.
struct ScoringMetrics: Sendable {
    let running: Gauge
    let waiting: Gauge
}

/// The metrics one model's batch worker updates.
struct ModelMetrics: Sendable {
    let generatedTokens: Counter
    let promptTokens: Counter
    let cachedPromptTokens: Counter
    let rate: TokenRate
    let queueLength: Gauge
    let activeSequences: Gauge
    let rejected: Counter
    let batchSize: ValueHistogram
    let stepDuration: DurationHistogram
    let timeToFirstToken: DurationHistogram
}

/// The tokens-per-second gauge: characters counted by every lane of a model, published once a second or more has
/// passed (and 0 when the model goes idle).
final class TokenRate: @unchecked Sendable {
    private let gauge: Gauge
    private let lock = NSLock()
    private var start = ContinuousClock.now
    private var count = 0

    init(gauge: Gauge) { self.gauge = gauge }

    func add(_ tokens: Int) {
        let now = ContinuousClock.now
        let published: Double? = lock.withLock {
            count += tokens
            let elapsed = now - start
            guard elapsed >= .seconds(1) else { return nil }
            defer { start = now; count = 0 }
            return Double(count) / (elapsed / .seconds(1))
        }
        if let published { gauge.set(to: published) }
    }
}
