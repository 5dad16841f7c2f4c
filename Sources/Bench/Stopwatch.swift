import Glibc

/// Monotonic time in seconds. clock_gettime directly: it allocates nothing and is not affected by clock
/// adjustments, so it can run inside the allocation checks too.
@inline(__always)
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// How long and how often to measure one thing.
struct TimingPolicy {
    /// Each measurement runs at least this long in total (all its samples together, warm-up excluded).
    var minimumSeconds: Double
    /// Independent samples per measurement (odd, so the median is one of them); the reported time is their median.
    var samples: Int

    static let full = TimingPolicy(minimumSeconds: 0.2, samples: 7)
    static let quick = TimingPolicy(minimumSeconds: 0.03, samples: 3)
    /// For training updates (25–70 ms each at N = 512): with ``full`` a sample was a single update, and the
    /// Kronecker LSTM / dense LSTM ratio moved between 2.6× and 3.0× from run to run on an idle machine; 0.3 s
    /// samples hold about 12 and 4 updates.
    static let training = TimingPolicy(minimumSeconds: 2.1, samples: 7)
}

/// The result of one measurement: seconds per call of the measured body.
struct Timing {
    /// Median over the samples, each sample being total time / calls in that sample.
    let median: Double
    /// Fastest and slowest sample, to show the spread.
    let minimum: Double
    let maximum: Double
    /// Calls per sample (chosen so that the samples together take at least the policy's minimum time).
    let callsPerSample: Int
}

/// Times several bodies against each other. Each `body(calls)` must perform its operation `calls` times.
/// Every body is warmed up and calibrated so one of its samples lasts about minimumSeconds / samples; then the
/// samples are taken in rounds (one sample of each body per round), so that when other work on the machine
/// comes and goes it slows all bodies alike and their ratios stay meaningful. Each body's result is the median
/// over its samples. Passing the count in keeps the closure call out of the timed loop.
func measureInterleaved(_ policy: TimingPolicy, _ bodies: [(Int) -> Void]) -> [Timing] {
    let sampleTarget = policy.minimumSeconds / Double(policy.samples)
    let calls = bodies.map { calibrate($0, sampleTarget: sampleTarget) }
    var perCall = [[Double]](repeating: [], count: bodies.count)
    for _ in 0..<policy.samples {
        for (i, body) in bodies.enumerated() {
            let start = monotonicSeconds()
            body(calls[i])
            perCall[i].append((monotonicSeconds() - start) / Double(calls[i]))
        }
    }
    return zip(perCall, calls).map { samples, calls in
        let sorted = samples.sorted()
        return Timing(median: sorted[sorted.count / 2], minimum: sorted.first!, maximum: sorted.last!,
                      callsPerSample: calls)
    }
}

/// ``measureInterleaved(_:_:)`` for one body.
func measure(_ policy: TimingPolicy, _ body: (Int) -> Void) -> Timing {
    withoutActuallyEscaping(body) { measureInterleaved(policy, [$0])[0] }
}

/// Warms `body` up (caches, page faults of fresh buffers, OpenBLAS thread start-up, lazy runtime work) and
/// returns how many calls make one sample last at least `sampleTarget` seconds.
private func calibrate(_ body: (Int) -> Void, sampleTarget: Double) -> Int {
    body(1)
    var calls = 1
    while true {
        let start = monotonicSeconds()
        body(calls)
        let elapsed = monotonicSeconds() - start
        if elapsed >= sampleTarget { return calls }
        // Grow towards the target with headroom; at least double so calibration ends quickly.
        let estimate = elapsed > 0 ? Int((sampleTarget / elapsed) * Double(calls) * 1.2) : calls * 10
        calls = max(calls * 2, min(estimate, calls * 100))
    }
}
