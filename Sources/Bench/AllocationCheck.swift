import CMallocCounter
import KRUInference

/// Heap allocations counted (by interposing malloc, see Sources/CMallocCounter) while a hot path runs.
struct AllocationCount: Codable {
    let name: String
    /// Iterations of the path that were counted (after warm-up iterations that were not).
    let iterations: Int
    let allocations: UInt64
    let bytes: UInt64
    /// Whether this path is part of the zero-allocation check (the others are shown for information).
    let required: Bool
}

/// Counts the allocations of `body`, run `iterations` times after `warmUp` uncounted runs (the first call of a
/// path may legitimately initialise something once, e.g. runtime metadata).
func countAllocations(_ name: String, iterations: Int, warmUp: Int = 10, required: Bool,
                      _ body: () -> Void) -> AllocationCount {
    for _ in 0..<warmUp { body() }
    let (calls, bytes) = (kru_malloc_count(), kru_malloc_bytes())
    for _ in 0..<iterations { body() }
    return AllocationCount(name: name, iterations: iterations, allocations: kru_malloc_count() - calls,
                           bytes: kru_malloc_bytes() - bytes, required: required)
}

/// Where the probe's arrays go: a global, so they escape and must live on the heap.
nonisolated(unsafe) private var probeSink: [Float] = []

/// The allocation counts the benchmark reports.
struct AllocationCheck {
    let iterations: Int

    struct Result: Codable {
        /// Whether the counter works here: interposition is available and it saw the allocations of a
        /// known-allocating probe. A zero count from a dead counter would prove nothing.
        let counterAvailable: Bool
        let counterSelfTestAllocations: UInt64
        let counts: [AllocationCount]
    }

    func run(kronecker: KRUModel, dense: KRUModel, operatorSize: Int, others: [(name: String, model: KRUModel)])
        throws -> Result {
        let probe = countAllocations("probe: 100 new [Float] arrays", iterations: 100, required: false) {
            // Stored in a global so the optimiser cannot keep the array on the stack.
            probeSink = [Float](repeating: 1, count: 64)
        }
        var counts: [AllocationCount] = []
        let vocabularySize = kronecker.description.outputWidth
        var logitSum: Float = 0
        for (name, model) in [("KRU", kronecker), ("dense rnn_tanh", dense)] {
            let session = model.session()
            var token = 0
            counts.append(countAllocations(
                "\(name) model, N = \(model.description.layers[0].hiddenSize): KRUSession.feed(token:) + withOutputs",
                iterations: iterations, required: name == "KRU") {
                try! session.feed(token: token)  // token < vocabularySize
                session.withOutputs { logitSum += $0[0] }
                token = (token + 7) % vocabularySize
            })
        }
        // Every cell and recurrence kind, and the model files given with --model: one step, then one sampled token.
        for (name, model) in others {
            let session = model.session()
            let size = model.description.outputWidth
            var token = 0
            counts.append(countAllocations("\(name): KRUSession.feed(token:) + withOutputs", iterations: iterations,
                                           required: true) {
                try! session.feed(token: token)  // token < size
                session.withOutputs { logitSum += $0[0] }
                token = (token + 7) % size
            })
            let shared = model.session(threads: 2)
            if shared.threadCount > 1 {
                counts.append(countAllocations("\(name): KRUSession.feed(token:), 2 threads sharing its products",
                                               iterations: iterations, required: true) {
                    try! shared.feed(token: token)  // token < size
                    shared.withOutputs { logitSum += $0[0] }
                    token = (token + 7) % size
                })
            }
            var stream = try TokenStream(model: model, prime: [1], options: GenerationOptions(length: nil, seed: 3))
            counts.append(countAllocations("\(name): TokenStream.next() (sample + feed)", iterations: iterations,
                                           required: true) { logitSum += Float(stream.next()!) })
        }
        var random = RandomData(seed: 7)
        for batch in [1, 32] {
            let step = try KroneckerStep(size: operatorSize, maxBatchSize: batch, random: &random)
            counts.append(countAllocations(
                "ComplexKroneckerOperator.apply, N = \(operatorSize), batch \(batch)", iterations: iterations,
                required: true) { step.run(batchSize: batch) })
        }
        // Scoring builds one session per call (a handful of allocations, once); per token it should add none.
        let text = random.tokens(iterations, vocabularySize: vocabularySize)
        counts.append(countAllocations("KRU model: one KRUModel.score(tokens:) call on \(iterations) tokens",
                                       iterations: 1, warmUp: 1, required: false) {
            resultSink += try! kronecker.score(tokens: text).meanNLL  // a token model, tokens in range
        })
        var stream = try TokenStream(model: kronecker, prime: [1, 2, 3],
                                     options: GenerationOptions(length: nil, seed: 3))
        counts.append(countAllocations("KRU model: TokenStream.next() (sample + feed)", iterations: iterations,
                                       required: true) { logitSum += Float(stream.next()!) })
        resultSink += Double(logitSum)
        return Result(counterAvailable: kru_malloc_counter_is_available() == 1 && probe.allocations >= 100,
                      counterSelfTestAllocations: probe.allocations, counts: counts)
    }
}
