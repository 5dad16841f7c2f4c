import Foundation

/// The human-readable form of a ``BenchReport``: one section per measurement, then the PASS/FAIL lines.
enum TextReport {
    static func lines(_ report: BenchReport) -> [String] {
        var out: [String] = []
        let m = report.machine, s = report.settings
        out.append("kru-bench — \(report.command)")
        out.append("machine: \(m.onlineProcessors) processors online (the reference machine has 2 cores); "
            + "OpenBLAS \(m.openblas.threads) threads, core \(m.openblas.coreName), config \"\(m.openblas.config)\"; "
            + "KRU kernel: \(m.kroneckerKernel)")
        out.append("load average (1/5/15 min): " + formatLoad(m.loadAverageAtStart) + " at start, "
            + formatLoad(m.loadAverageAtEnd) + " at end (other processes on the same cores slow every number)")
        out.append(String(format: "timing: median of %d samples; each measurement ≥ %.2f s after warm-up",
                          s.samplesPerMeasurement, s.minimumSecondsPerMeasurement))
        out.append("")
        out += operatorSection(report.operators)
        out.append("")
        out += modelSection(report.models, hiddenSize: s.modelHiddenSize)
        out.append("")
        out += trainingSection(report.training, peers: report.trainingPeers)
        out.append("")
        out += allocationSection(report.allocations)
        out.append("")
        if !report.zooModels.isEmpty {
            out += zooSection(report.zooModels)
            out.append("")
            out += poolSection(report.poolLatency)
            out.append("")
        }
        for check in report.checks {
            out.append("\(check.passed ? "PASS" : "FAIL")  \(check.name): \(check.detail)")
        }
        return out
    }

    private static func formatLoad(_ values: [Double]) -> String {
        values.isEmpty ? "unknown" : values.map { String(format: "%.2f", $0) }.joined(separator: "/")
    }

    private static func operatorSection(_ result: OperatorBenchmark.Result) -> [String] {
        var rows = [["N", "factors", "batch", "KRU", "dense real", "dense real 1 thr", "dense complex",
                     "real/KRU", "real 1 thr/KRU", "complex/KRU"]]
        for c in result.comparisons {
            rows.append(["\(c.size)", "\(c.factorCount)", "\(c.batchSize)", formatDuration(c.kronecker.medianSeconds),
                         formatDuration(c.denseReal.medianSeconds), formatDuration(c.denseRealOneThread.medianSeconds),
                         formatDuration(c.denseComplex.medianSeconds), formatRatio(c.denseRealOverKronecker),
                         formatRatio(c.denseRealOneThreadOverKronecker), formatRatio(c.denseComplexOverKronecker)])
        }
        let agreement = result.agreement.map { String(format: "N = %d: %.1e", $0.size, $0.maxRelativeDifference) }
        return [
            "1. Operator step y = W·x, time per vector (batch time / batch size)",
            "   KRU: ComplexKroneckerOperator.apply, log2(N) complex 2×2 factors, split planes, 1 thread",
            "   dense real: N×N Float, cblas_sgemv (batch 1) / cblas_sgemm (batch 32), OpenBLAS default threads "
                + "and 1 thread",
            "   dense complex: N×N complex64 = the explicit Kronecker product, cblas_cgemv / cblas_cgemm, "
                + "default threads",
            "   ratios > 1: the KRU step is that many times faster",
        ] + formatTable(rows, leftAligned: 0).map { "   " + $0 } + [
            "   KRU vs dense complex, max |Δy| / max |y|: " + agreement.joined(separator: ", "),
        ]
    }

    private static func modelSection(_ models: [ModelThroughput], hiddenSize: Int) -> [String] {
        var rows = [["model", "cell", "N", "recurrent params", "params", "sampling tok/s", "scoring tok/s"]]
        for model in models {
            rows.append([model.name, model.cell, "\(model.hiddenSize)", "\(model.recurrentParameters)",
                         "\(model.parameters)", formatRate(model.samplingTokensPerSecond),
                         formatRate(model.scoringTokensPerSecond)])
        }
        var lines = [
            "2. Whole-model throughput, N = \(hiddenSize), 64-token vocabulary, embedding 32 (this engine, 1 thread)",
            "   sampling: TokenStream, temperature 1; scoring: KRUModel.score(tokens:); "
                + "\(models.first?.tokensPerCall ?? 0) tokens per timed call",
        ] + formatTable(rows, leftAligned: 2).map { "   " + $0 }
        if models.count == 2 {
            lines.append("   KRU / dense: sampling "
                + formatRatio(models[0].samplingTokensPerSecond / models[1].samplingTokensPerSecond)
                + ", scoring " + formatRatio(models[0].scoringTokensPerSecond / models[1].scoringTokensPerSecond))
        }
        return lines
    }

    private static func trainingSection(_ models: [TrainingThroughput], peers: [PeerTrainingThroughput]) -> [String] {
        var rows = [["model", "cell", "N", "recurrent params", "params", "chars/s"]]
        for model in models {
            rows.append([model.name, model.cell, "\(model.hiddenSize)", "\(model.recurrentParameters)",
                         "\(model.parameters)",
                         formatRate(model.charactersPerSecond)])
        }
        for peer in peers {
            rows.append(["\(peer.name) (torch \(peer.torchVersion), \(peer.threads) threads)", "lstm", "512", "", "",
                         formatRate(peer.charactersPerSecond)])
        }
        var lines = [
            "3. Training throughput on the character task (KRUTrain, single precision): one update = truncated BPTT "
                + "over \(models.first?.charactersPerUpdate ?? 0) characters, penalty, clipping, Adam; "
                + "\(models.first?.threads ?? 0) worker threads",
        ] + formatTable(rows, leftAligned: 2).map { "   " + $0 }
        if models.count == TrainingThroughputBenchmark.Model.allCases.count {
            let rate = { (model: TrainingThroughputBenchmark.Model) in models[model.rawValue].charactersPerSecond }
            lines.append("   KRU / dense rnn_tanh: " + formatRatio(rate(.kru) / rate(.denseTanh))
                + ", Kronecker LSTM / dense LSTM: " + formatRatio(rate(.kroneckerLSTM) / rate(.denseLSTM)))
            if let peer = peers.first?.charactersPerSecond {
                lines.append("   vs PyTorch nn.LSTM: dense LSTM " + formatRatio(rate(.denseLSTM) / peer)
                    + ", KRU " + formatRatio(rate(.kru) / peer))
            }
        }
        return lines
    }

    private static func allocationSection(_ result: AllocationCheck.Result) -> [String] {
        var rows = [["path", "iterations", "allocations", "bytes", ""]]
        for count in result.counts {
            rows.append([count.name, "\(count.iterations)", "\(count.allocations)", "\(count.bytes)",
                         count.required ? "" : "(information)"])
        }
        return [
            "4. Heap allocations (malloc/calloc/realloc/aligned allocations, interposed; "
                + "counted after uncounted warm-up runs)",
            "   counter self-test: \(result.counterSelfTestAllocations) allocations seen for 100 new arrays"
                + (result.counterAvailable ? "" : " — COUNTER NOT WORKING"),
        ] + formatTable(rows, leftAligned: 1).map { "   " + $0 }
    }

    private static func zooSection(_ models: [ZooModelResult]) -> [String] {
        var rows = [["model", "cell", "N", "recurrent", "params", "sampling tok/s", "scoring tok/s",
                     "\(ZooModelBenchmark.streams)-stream scoring", "\(ZooModelBenchmark.streams)-sample batch"]]
        for m in models {
            rows.append([m.name, m.cell, "\(m.hiddenSize)", m.recurrence, "\(m.parameters)",
                         formatRate(m.samplingTokensPerSecond), formatRate(m.scoringTokensPerSecond),
                         formatRate(m.parallelScoringTokensPerSecond), formatRate(m.batchedSamplingTokensPerSecond)])
        }
        var lines = [
            "5. Model files (this engine, 1 thread): sampling one token at a time with TokenStream (temperature 1, the",
            "   full step: input, recurrence, activation, readout, softmax, sample); scoring a random text exactly",
            "   (one stream) and as \(ZooModelBenchmark.streams) parallel streams (KRUModel.score(tokens:streams:)); "
                + "\(ZooModelBenchmark.streams) samples at once (BatchedTokenStream)",
        ] + formatTable(rows, leftAligned: 4).map { "   " + $0 }
        for m in models {
            if let threads = m.sharedThreads, let sampling = m.sharedSamplingTokensPerSecond,
               let scoring = m.sharedScoringTokensPerSecond {
                lines.append("   \(m.name) with \(threads) threads sharing its large products: sampling "
                    + "\(formatRate(sampling)) tok/s (" + formatRatio(sampling / m.samplingTokensPerSecond)
                    + "), scoring \(formatRate(scoring)) tok/s (" + formatRatio(scoring / m.scoringTokensPerSecond)
                    + ")")
            }
            if let gate = m.gateMatvec {
                lines.append("   \(m.name): the \(gate.rows)×\(gate.columns) recurrent product, kru \(gate.kernel) "
                    + "\(formatDuration(gate.kruSeconds)) vs OpenBLAS sgemv 1 thread "
                    + "\(formatDuration(gate.openblasOneThreadSeconds)): "
                    + String(format: "%.2f", gate.ratio) + " (kru / sgemv)")
            }
        }
        for kru in models where kru.cell == "kru" {
            for other in models where other.cell != "kru" {
                lines.append("   \(kru.name) / \(other.name): sampling "
                    + formatRatio(kru.samplingTokensPerSecond / other.samplingTokensPerSecond)
                    + ", scoring " + formatRatio(kru.scoringTokensPerSecond / other.scoringTokensPerSecond))
            }
        }
        return lines
    }

    private static func poolSection(_ probes: [PoolLatencyResult]) -> [String] {
        var rows = [["model", "token", "late, alone (median/max)", "beside 2 spinning threads", "beside 2 generations",
                     "tokens meanwhile"]]
        for p in probes {
            rows.append([p.model, formatDuration(p.tokenSeconds),
                         "\(formatDuration(p.idleMedianExcessSeconds)) / \(formatDuration(p.idleMaximumExcessSeconds))",
                         "\(formatDuration(p.spinningMedianExcessSeconds)) / "
                            + "\(formatDuration(p.spinningMaximumExcessSeconds))",
                         "\(formatDuration(p.busyMedianExcessSeconds)) / \(formatDuration(p.busyMaximumExcessSeconds))",
                         "\(p.tokensGenerated)"])
        }
        return [
            "6. Cooperative pool: a task sleeps 20 ms \(probes.first?.sleeps ?? 0) times alone, "
                + "beside two threads spinning outside",
            "   Swift concurrency, and beside two model.generate(…) loops; how late it wakes, "
                + "median / max (TextGeneration",
            "   yields every \(formatDuration(probes.first?.yieldIntervalSeconds ?? 0)) of work)",
        ] + formatTable(rows, leftAligned: 1).map { "   " + $0 }
    }
}
