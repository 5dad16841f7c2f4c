import Foundation
import KRUInference

// What a batched step costs per sequence: for each model and batch size B, feed B streams one token each per step
// through one KRUSession of B streams for about N sequence-steps, R times, and print the fastest time per
// sequence-step and its ratio to B = 1. Tokens cycle through the vocabulary so no two streams see the same input.
//
//   batch-probe [--batch B] [--sequence-steps N] [--repeats R] MODEL.kru ...
//
// Wall time on a shared machine is noisy; instruction counts are not: under
// `valgrind --tool=callgrind`, run --batch B --repeats 1 with --sequence-steps N and with 0, and divide the
// difference of the "Collected" totals by N (docs/SERVING.md does this).
var batches = [1, 8, 32, 64]
var sequenceSteps = 20_000
var repeats = 5
var paths: [String] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--batch": batches = [Int(arguments.popFirst() ?? "") ?? 0]
    case "--sequence-steps": sequenceSteps = Int(arguments.popFirst() ?? "") ?? -1
    case "--repeats": repeats = Int(arguments.popFirst() ?? "") ?? 0
    default: paths.append(argument)
    }
}
guard !paths.isEmpty, batches.allSatisfy({ $0 >= 1 }), sequenceSteps >= 0, repeats >= 1 else {
    let usage = "usage: batch-probe [--batch B] [--sequence-steps N] [--repeats R] MODEL.kru ...\n"
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}
print("| model | batch | µs per sequence-step | vs batch 1 |")
print("|---|---:|---:|---:|")
for path in paths {
    let model = try KRUModel(path: path)
    let vocabulary = model.description.vocabulary?.count ?? 1
    var single: Double?
    for batch in batches {
        let session = model.session(batchSize: batch)
        var tokens = [Int](repeating: 0, count: batch)
        let steps = sequenceSteps / batch
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            for t in 0..<steps {
                for b in 0..<batch { tokens[b] = (t + 7 * b) % vocabulary }
                try session.feed(tokens: tokens)
            }
            best = min(best, (ContinuousClock.now - start) / .seconds(1) / Double(max(steps * batch, 1)))
        }
        if batch == 1 { single = best }
        let ratio = single.map { String(format: "%.2f", best / $0) } ?? "–"
        let name = (path as NSString).lastPathComponent
        print("| \(name) | \(batch) | \(String(format: "%.1f", best * 1e6)) | \(ratio) |")
    }
}
