import Foundation
import Logging
import ServiceLifecycle

/// Graceful shutdown of generation: on SIGTERM (or SIGINT) the batch workers stop taking requests (503, and
/// `/health` says "draining" so load balancers move on), running generations get up to the grace period to
/// finish, and what is left is then cancelled (its clients get an error saying so). Only then does the HTTP
/// server close, so every accepted request gets a complete answer or a clear error.
final class DrainService: Service, @unchecked Sendable {
    private let workers: [BatchWorker]
    private let grace: Double
    private let logger: Logger
    private let lock = NSLock()
    private var draining = false

    init(workers: [BatchWorker], grace: Double, logger: Logger) {
        self.workers = workers
        self.grace = grace
        self.logger = logger
    }

    var isDraining: Bool {
        lock.withLock { draining }
    }

    func run() async throws {
        try? await gracefulShutdown()
        await drain()
    }

    /// Stops new work, waits up to the grace period for running work, cancels the rest and ends the workers.
    func drain() async {
        lock.withLock { draining = true }
        workers.forEach { $0.beginDraining() }
        logger.info("draining: new requests get 503; running generations have \(formatSeconds(grace)) s to finish")
        let deadline = ContinuousClock.now + .seconds(grace)
        while ContinuousClock.now < deadline, !workers.allSatisfy(\.isIdle) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if !workers.allSatisfy(\.isIdle) { logger.info("grace period over: cancelling the remaining generations") }
        workers.forEach { $0.stop() }
    }
}
