import Foundation

/// The issue's bar, evaluated on one run's numbers.
enum Checks {
    static let requiredSpeedup = 10.0
    static let speedupSize = 1024

    static func evaluate(operators: OperatorBenchmark.Result, allocations: AllocationCheck.Result) -> [Check] {
        [speedup(operators), zeroAllocations(allocations)]
    }

    /// (a) At N = 1024, batch 1, the Kronecker step is at least 10× faster than the dense real BLAS step.
    /// Against the faster of OpenBLAS's default threading and one thread: whichever configuration suits BLAS
    /// better on this machine, the bar has to hold against it.
    static func speedup(_ operators: OperatorBenchmark.Result) -> Check {
        let name = "KRU step ≥ \(Int(requiredSpeedup))× faster than dense real BLAS at N = \(speedupSize), batch 1"
        guard let row = operators.comparisons.first(where: { $0.size == speedupSize && $0.batchSize == 1 }) else {
            return Check(name: name, passed: false, detail: "N = \(speedupSize), batch 1 was not measured")
        }
        let dense = min(row.denseReal.medianSeconds, row.denseRealOneThread.medianSeconds)
        let ratio = dense / row.kronecker.medianSeconds
        let detail = String(format: "dense %@ (faster of default threads and 1 thread) / KRU %@ = %.1f×",
                            formatDuration(dense), formatDuration(row.kronecker.medianSeconds), ratio)
        return Check(name: name, passed: ratio >= requiredSpeedup, detail: detail)
    }

    /// (b) The required hot paths allocate nothing, and the counter demonstrably works.
    static func zeroAllocations(_ result: AllocationCheck.Result) -> Check {
        let name = "zero heap allocations in KRUSession.feed(token:) + withOutputs and in operator applies"
        guard result.counterAvailable else {
            return Check(name: name, passed: false,
                         detail: "allocation counter not working here (self-test saw "
                                  + "\(result.counterSelfTestAllocations) of 100)")
        }
        let offenders = result.counts.filter { $0.required && $0.allocations > 0 }
        guard offenders.isEmpty else {
            let list = offenders.map { "\($0.name): \($0.allocations) in \($0.iterations)" }.joined(separator: "; ")
            return Check(name: name, passed: false, detail: list)
        }
        let total = result.counts.filter(\.required).reduce(0) { $0 + $1.iterations }
        return Check(name: name, passed: true, detail: "0 allocations in \(total) counted iterations")
    }

    static let requiredKRUSamplingRate = 200_000.0
    /// The hidden size the sampling-rate target is set for (kjv-kru512's).
    static let requiredRateHiddenSize = 512
    static let requiredKRUOverDense = 10.0
    static let allowedGateMatvecRatio = 1.5

    /// Section 5's targets, for the models given: a KRU of the issue's shape (N = 512, as kjv-kru512) samples at
    /// 200k tokens/s or more; every KRU samples 10× or more faster than a model of the same hidden size with a
    /// dense recurrence (not a Kronecker-gated one, which is not what the target compares with); kru's dense gate
    /// product within 1.5× of one-thread sgemv on the same matrix; a converted model faster than its dense source
    /// when both were given.
    static func zoo(_ models: [ZooModelResult]) -> [Check] {
        var checks: [Check] = []
        for model in models where model.cell == "kru" {
            if model.hiddenSize == requiredRateHiddenSize {
                checks.append(Check(
                    name: "\(model.name) samples ≥ \(formatRate(requiredKRUSamplingRate)) tokens/s "
                        + "(batch 1, the full step)",
                    passed: model.samplingTokensPerSecond >= requiredKRUSamplingRate,
                    detail: "\(formatRate(model.samplingTokensPerSecond)) tokens/s"))
            }
            for dense in models where dense.cell != "kru" && dense.recurrence.hasPrefix("dense")
                && dense.hiddenSize == model.hiddenSize {
                let ratio = model.samplingTokensPerSecond / dense.samplingTokensPerSecond
                checks.append(Check(
                    name: "\(model.name) samples ≥ \(Int(requiredKRUOverDense))× faster than \(dense.name)",
                    passed: ratio >= requiredKRUOverDense,
                    detail: "\(formatRate(model.samplingTokensPerSecond)) / "
                        + "\(formatRate(dense.samplingTokensPerSecond)) tokens/s = \(formatRatio(ratio))"))
            }
        }
        for model in models {
            if let gate = model.gateMatvec {
                checks.append(Check(
                    name: "\(model.name): kru's \(gate.rows)×\(gate.columns) gate product within "
                        + "\(allowedGateMatvecRatio)× of one-thread OpenBLAS sgemv",
                    passed: gate.ratio <= allowedGateMatvecRatio,
                    detail: "kru \(formatDuration(gate.kruSeconds)) / sgemv "
                        + "\(formatDuration(gate.openblasOneThreadSeconds)) = \(String(format: "%.2f", gate.ratio))"))
            }
            guard let source = model.source.map({ URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }),
                  source != model.name, let dense = models.first(where: { $0.name == source }) else { continue }
            checks.append(Check(
                name: "\(model.name) (converted) samples faster than its dense source \(dense.name)",
                passed: model.samplingTokensPerSecond > dense.samplingTokensPerSecond,
                detail: "\(formatRate(model.samplingTokensPerSecond)) / \(formatRate(dense.samplingTokensPerSecond)) "
                    + "tokens/s = \(formatRatio(model.samplingTokensPerSecond / dense.samplingTokensPerSecond))"))
        }
        return checks
    }

    /// Section 6: two generations delay a 20 ms sleep, at the median, by no more than one token's time or one
    /// yield interval (whichever is longer) beyond what two threads spinning outside the pool do.
    static func pool(_ probes: [PoolLatencyResult]) -> [Check] {
        probes.map { probe in
            let allowed = max(probe.tokenSeconds, probe.yieldIntervalSeconds)
            let extra = probe.busyMedianExcessSeconds - probe.spinningMedianExcessSeconds
            return Check(
                name: "two \(probe.model) generations delay other async work by at most a token's time (median)",
                passed: extra <= allowed,
                detail: "a 20 ms sleep wakes \(formatDuration(probe.busyMedianExcessSeconds)) late "
                    + "(max \(formatDuration(probe.busyMaximumExcessSeconds))) vs "
                    + "\(formatDuration(probe.spinningMedianExcessSeconds)) beside two spinning threads; allowed extra "
                    + "\(formatDuration(allowed)); \(probe.tokensGenerated) tokens generated meanwhile")
        }
    }
}

extension Checks {
    /// Section 3's bar (issue 13): the KRU trains ≥ 5× faster than the dense tanh RNN of its size, the Kronecker
    /// LSTM ≥ 3× faster than the dense LSTM, and — with --torch — the dense LSTM at least as fast as PyTorch's
    /// nn.LSTM and the KRU at least twice as fast. --quick (20-character chunks) gives no verdict: the fixed costs
    /// of an update weigh five times more there, so its ratios (in section 3's table) say nothing about the bar.
    static func training(_ rows: [TrainingThroughput], peers: [PeerTrainingThroughput], quick: Bool) -> [Check] {
        guard !quick else { return [] }
        let rate = { (model: TrainingThroughputBenchmark.Model) in rows[model.rawValue].charactersPerSecond }
        func check(_ name: String, _ ratio: Double, _ bar: Double, _ detail: String) -> Check {
            Check(name: name, passed: ratio >= bar, detail: detail + String(format: " = %.2f×", ratio))
        }
        var checks = [
            check("training: KRU-512 ≥ 5× the chars/s of dense rnn_tanh-512", rate(.kru) / rate(.denseTanh), 5,
                  String(format: "%.0f / %.0f chars/s", rate(.kru), rate(.denseTanh))),
            check("training: Kronecker LSTM-512 (16×32, rank 2) ≥ 3× dense LSTM-512",
                  rate(.kroneckerLSTM) / rate(.denseLSTM), 3,
                  String(format: "%.0f / %.0f chars/s", rate(.kroneckerLSTM), rate(.denseLSTM))),
        ]
        if let torch = peers.first {
            let peer = torch.charactersPerSecond
            checks.append(check("training: kru dense LSTM-512 ≥ PyTorch nn.LSTM-512", rate(.denseLSTM) / peer, 1,
                                String(format: "%.0f / %.0f chars/s", rate(.denseLSTM), peer)))
            checks.append(check("training: kru KRU-512 ≥ 2× PyTorch nn.LSTM-512", rate(.kru) / peer, 2,
                                String(format: "%.0f / %.0f chars/s", rate(.kru), peer)))
        }
        return checks
    }
}
