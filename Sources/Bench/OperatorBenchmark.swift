/// One timed variant at one size and batch: seconds per vector (a batch's time divided by its size).
struct PerVectorTiming: Codable {
    let medianSeconds: Double
    let fastestSeconds: Double
    let slowestSeconds: Double
    /// Calls per timing sample; each call processes the whole batch.
    let callsPerSample: Int

    init(_ timing: Timing, batchSize: Int) {
        let b = Double(batchSize)
        medianSeconds = timing.median / b
        fastestSeconds = timing.minimum / b
        slowestSeconds = timing.maximum / b
        callsPerSample = timing.callsPerSample
    }
}

/// Kronecker operator against dense products at one N and batch size.
struct OperatorComparison: Codable {
    let size: Int
    let factorCount: Int
    let batchSize: Int
    /// kru's kernel: ComplexKroneckerOperator.apply, log2(N) complex 2 × 2 factors, one thread.
    let kronecker: PerVectorTiming
    /// Real N × N, OpenBLAS sgemv/sgemm, OpenBLAS's default thread count.
    let denseReal: PerVectorTiming
    /// The same, OpenBLAS limited to one thread (as the Kronecker kernel is).
    let denseRealOneThread: PerVectorTiming
    /// Complex N × N (the explicit Kronecker product), OpenBLAS cgemv/cgemm, default thread count.
    let denseComplex: PerVectorTiming
    /// Dense real time / Kronecker time (medians); > 1 means the Kronecker step is faster.
    let denseRealOverKronecker: Double
    let denseRealOneThreadOverKronecker: Double
    let denseComplexOverKronecker: Double
}

/// Runs the operator comparison at every size and batch size; also checks, once per size, that the Kronecker
/// operator and the dense complex product agree (so the timed kernel does the full N × N work).
struct OperatorBenchmark {
    let sizes: [Int]
    let batchSizes: [Int]
    let policy: TimingPolicy

    struct Result: Codable {
        let comparisons: [OperatorComparison]
        /// Per size: max |y_kron − y_dense| / max |y_dense| over one batch-1 product.
        let agreement: [Agreement]
    }

    struct Agreement: Codable {
        let size: Int
        let maxRelativeDifference: Double
    }

    func run() throws -> Result {
        var random = RandomData(seed: 20_180_710)
        var comparisons: [OperatorComparison] = []
        var agreement: [Agreement] = []
        let maxBatch = batchSizes.max()!
        for size in sizes {
            let kronecker = try KroneckerStep(size: size, maxBatchSize: maxBatch, random: &random)
            let explicit = explicitKroneckerProduct(kronecker.factors)
            let denseComplex = DenseComplexStep(size: size, matrix: explicit.matrix, inputReal: kronecker.inputReal,
                                                inputImaginary: kronecker.inputImaginary)
            let denseReal = DenseRealStep(size: size, maxBatchSize: maxBatch, random: &random)
            agreement.append(Agreement(size: size, maxRelativeDifference: compare(kronecker, denseComplex)))
            for batch in batchSizes {
                let (k, r, r1, c) = timings(kronecker, denseReal, denseComplex, batch: batch)
                comparisons.append(OperatorComparison(
                    size: size, factorCount: kronecker.factors.count, batchSize: batch,
                    kronecker: PerVectorTiming(k, batchSize: batch), denseReal: PerVectorTiming(r, batchSize: batch),
                    denseRealOneThread: PerVectorTiming(r1, batchSize: batch),
                    denseComplex: PerVectorTiming(c, batchSize: batch),
                    denseRealOverKronecker: r.median / k.median, denseRealOneThreadOverKronecker: r1.median / k.median,
                    denseComplexOverKronecker: c.median / k.median))
            }
        }
        return Result(comparisons: comparisons, agreement: agreement)
    }

    /// The four variants at one batch size, measured in interleaved rounds (see measureInterleaved).
    private func timings(_ kronecker: KroneckerStep, _ denseReal: DenseRealStep, _ denseComplex: DenseComplexStep,
                         batch: Int) -> (Timing, Timing, Timing, Timing) {
        let t = measureInterleaved(policy, [
            { calls in for _ in 0..<calls { kronecker.run(batchSize: batch) } },
            { calls in for _ in 0..<calls { denseReal.run(batchSize: batch) } },
            { calls in withOpenBLASThreads(1) { for _ in 0..<calls { denseReal.run(batchSize: batch) } } },
            { calls in for _ in 0..<calls { denseComplex.run(batchSize: batch) } },
        ])
        return (t[0], t[1], t[2], t[3])
    }

    /// One batch-1 product both ways; the relative max-norm difference (float rounding gives ~1e-6).
    private func compare(_ kronecker: KroneckerStep, _ dense: DenseComplexStep) -> Double {
        kronecker.run(batchSize: 1)
        dense.run(batchSize: 1)
        var difference: Float = 0, scale: Float = 0
        for k in 0..<kronecker.size {
            let (dr, di) = (dense.output.pointer[2 * k], dense.output.pointer[2 * k + 1])
            difference = max(difference, abs(kronecker.yr.pointer[k] - dr), abs(kronecker.yi.pointer[k] - di))
            scale = max(scale, abs(dr), abs(di))
        }
        return Double(difference / max(scale, .leastNormalMagnitude))
    }
}
