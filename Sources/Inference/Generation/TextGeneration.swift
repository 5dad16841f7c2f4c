/// Generated tokens as an `AsyncSequence` that computes each token when the consumer asks for it: backpressure
/// comes free (nothing is computed ahead), and cancelling the consuming task ends the sequence.
///
/// A token takes microseconds, so computing it inline would not suspend at all, and a generation loop would hold a
/// thread of Swift's cooperative pool until it ended (the pool has one thread per core). Instead the iterator
/// yields (`Task.yield()`) whenever ``yieldInterval`` has passed since it last did, so other tasks run between
/// tokens: other async work waits at most about one interval or one token, whichever is longer. kru-bench measures
/// that delay.
public struct TextGeneration: AsyncSequence {
    public typealias Element = GeneratedToken

    /// How long an iterator computes before it yields to other tasks.
    public static let yieldInterval = Duration.microseconds(100)

    private let generator: TextGenerator

    init(generator: TextGenerator) { self.generator = generator }

    /// The session this generation advances.
    public var session: GenerationSession { generator.session }

    public func makeAsyncIterator() -> Iterator { Iterator(generator: generator) }

    public struct Iterator: AsyncIteratorProtocol {
        private var generator: TextGenerator
        private let clock = ContinuousClock()
        private var lastYield: ContinuousClock.Instant

        init(generator: TextGenerator) {
            self.generator = generator
            lastYield = clock.now
        }

        /// The next token, or nil when the generation has ended or the task was cancelled.
        public mutating func next() async -> GeneratedToken? {
            if clock.now - lastYield >= TextGeneration.yieldInterval {
                await Task.yield()
                lastYield = clock.now
            }
            guard !Task.isCancelled else { return nil }
            return generator.next()
        }
    }
}
