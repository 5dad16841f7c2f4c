// kru-bench: measures, in one run, the Kronecker operator against dense BLAS, whole-model throughput, training
// throughput and the allocations of the engine's hot paths, then prints the issues' PASS/FAIL lines
// (docs/BENCHMARKS.md).
import Foundation

let (parsedOptions, parseError) = BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
guard let options = parsedOptions else {
    if let error = parseError {
        printToStandardError("kru-bench: error: \(error)\n\(BenchOptions.usage)")
        exit(2)
    }
    print(BenchOptions.usage)
    exit(0)
}

do {
    let report = try runBenchmarks(options)
    print(options.json ? try JSONReport.text(report) : TextReport.lines(report).joined(separator: "\n"))
    let failed = report.checks.contains { !$0.passed }
    exit(options.check && failed ? 1 : 0)
} catch {
    printToStandardError("kru-bench: error: \(error)")
    exit(1)
}
