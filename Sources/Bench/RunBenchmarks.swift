import Foundation
import KRUInference

/// Runs every section with the sizes and timing the options ask for and collects the report.
func runBenchmarks(_ options: BenchOptions) throws -> BenchReport {
    let policy = options.quick ? TimingPolicy.quick : TimingPolicy.full
    // Quick keeps N = 1024 (the size the bar is stated at) and drops the slow N = 4096.
    let sizes = options.quick ? [256, 1024] : [256, 1024, 4096]
    let batchSizes = [1, 32]
    let hiddenSize = 1024
    let allocationIterations = 1000
    let torchScript = "tools/bench_torch_training.py"
    if options.torch != nil, !FileManager.default.isReadableFile(atPath: torchScript) {
        // Before minutes of measuring, not after.
        throw BenchError("--torch runs \(torchScript), which is not here: run kru-bench from the repository root")
    }

    let blas = OpenBLASInfo.current()
    var kernelProbe = RandomData(seed: 1)
    let loadAtStart = loadAverages()
    progress("operator step at N = \(sizes.map(String.init).joined(separator: ", "))")
    let operators = try OperatorBenchmark(sizes: sizes, batchSizes: batchSizes, policy: policy).run()

    progress("building the N = \(hiddenSize) models")
    let kronecker = try SyntheticModels.kronecker(hiddenSize: hiddenSize, seed: 1)
    let dense = try SyntheticModels.denseTanh(hiddenSize: hiddenSize, seed: 2)

    progress("whole-model throughput")
    let throughput = ModelThroughputBenchmark(policy: policy, tokensPerCall: options.quick ? 64 : 256)
    let models = throughput.run([("KRU, \(hiddenSize.trailingZeroBitCount) complex 2×2 factors", kronecker),
                                 ("dense rnn_tanh", dense)])

    progress("training throughput")
    let training = try TrainingThroughputBenchmark(policy: options.quick ? .quick : .training, hiddenSize: 512,
                                                   streams: 16,
                                                   bptt: options.quick ? 20 : 100, threads: 2).run()
    var peers: [PeerTrainingThroughput] = []
    if let python = options.torch {
        progress("PyTorch training throughput (\(python))")
        peers.append(try TrainingThroughputBenchmark.measurePyTorch(
            python: python, script: torchScript, quick: options.quick))
    }

    let zooModels = try ZooModelBenchmark(policy: policy, tokensPerCall: options.quick ? 200 : 2000)
        .run(paths: options.models)
    if !options.models.isEmpty { progress("cooperative pool probe") }
    let poolLatency = try zip(options.models, zooModels).map { path, result in
        PoolLatencyProbe.run(model: try KRUModel(path: path), name: result.name,
                             tokenSeconds: 1 / result.samplingTokensPerSecond, sleeps: options.quick ? 10 : 40)
    }

    progress("counting allocations")
    let zooFiles = try options.models.map { (name: $0, model: try KRUModel(path: $0)) }
    let allocations = try AllocationCheck(iterations: allocationIterations)
        .run(kronecker: kronecker, dense: dense, operatorSize: hiddenSize,
             others: try SyntheticModels.everyKind() + zooFiles)

    let arguments = CommandLine.arguments.dropFirst()
    return BenchReport(
        command: (["kru-bench"] + arguments).joined(separator: " "),
        machine: .init(onlineProcessors: ProcessInfo.processInfo.activeProcessorCount, openblas: blas,
                       kroneckerKernel: try KroneckerStep(size: hiddenSize, maxBatchSize: 1,
                                                          random: &kernelProbe).kernelDescription,
                       loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadAverages()),
        settings: .init(quick: options.quick, operatorSizes: sizes, batchSizes: batchSizes,
                        minimumSecondsPerMeasurement: policy.minimumSeconds, samplesPerMeasurement: policy.samples,
                        modelHiddenSize: hiddenSize, allocationIterations: allocationIterations),
        operators: operators, models: models, training: training, trainingPeers: peers, allocations: allocations,
        zooModels: zooModels, poolLatency: poolLatency,
        checks: Checks.evaluate(operators: operators, allocations: allocations)
            + Checks.training(training, peers: peers, quick: options.quick) + Checks.zoo(zooModels)
            + Checks.pool(poolLatency))
}
