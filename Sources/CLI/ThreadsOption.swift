import ArgumentParser
import Foundation
import KRUInference

/// `--threads` of the commands that run a model (`sample`, `score`): how many threads share each step's large dense
/// products (``KRUModel/session(batchSize:threads:)``). The results do not depend on it.
struct ThreadsOption: ParsableArguments {
    @Option(help: ArgumentHelp("Threads that share each step's large dense products, 1 … 64 (default: the number of "
                               + "cores). Models without one run on one thread; the output does not depend on it.",
                               valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads, !(1...64).contains(threads) {
            throw ValidationError("--threads must be between 1 and 64, not \(threads)")
        }
    }

    /// The thread count to run with.
    var count: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }
}
