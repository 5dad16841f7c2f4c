/// Everything one `kru-bench` run measured; printed as tables or, with --json, encoded as is.
struct BenchReport: Codable {
    struct Machine: Codable {
        /// Processors the OS reports online (this project's reference machine has 2 cores).
        let onlineProcessors: Int
        let openblas: OpenBLASInfo
        /// The kernel kru's operator runs for 2 × 2 factor chains on this CPU.
        let kroneckerKernel: String
        /// 1-, 5- and 15-minute load averages before and after the run: above ~0 means other work shared the cores.
        let loadAverageAtStart: [Double]
        let loadAverageAtEnd: [Double]
    }

    struct Settings: Codable {
        let quick: Bool
        let operatorSizes: [Int]
        let batchSizes: [Int]
        /// Every measurement (all its samples together) runs at least this long, warm-up excluded.
        let minimumSecondsPerMeasurement: Double
        /// Samples per measurement; reported times are their median.
        let samplesPerMeasurement: Int
        let modelHiddenSize: Int
        let allocationIterations: Int
    }

    let command: String
    let machine: Machine
    let settings: Settings
    let operators: OperatorBenchmark.Result
    let models: [ModelThroughput]
    let training: [TrainingThroughput]
    /// PyTorch on section 3's model (with --torch), measured in the same run.
    let trainingPeers: [PeerTrainingThroughput]
    let allocations: AllocationCheck.Result
    /// Section 5, for the files given with --model (empty without).
    let zooModels: [ZooModelResult]
    /// Section 6, one probe per --model file.
    let poolLatency: [PoolLatencyResult]
    let checks: [Check]
}

/// A PASS/FAIL line of the bar.
struct Check: Codable {
    let name: String
    let passed: Bool
    let detail: String
}
