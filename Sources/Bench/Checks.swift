import Foundation

/// The bar, evaluated on one run's numbers.
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
                         detail: "allocation counter not working here (self-test saw \(result.counterSelfTestAllocations) of 100)")
        }
        let offenders = result.counts.filter { $0.required && $0.allocations > 0 }
        guard offenders.isEmpty else {
            let list = offenders.map { "\($0.name): \($0.allocations) in \($0.iterations)" }.joined(separator: "; ")
            return Check(name: name, passed: false, detail: list)
        }
        let total = result.counts.filter(\.required).reduce(0) { $0 + $1.iterations }
        return Check(name: name, passed: true, detail: "0 allocations in \(total) counted iterations")
    }
}
