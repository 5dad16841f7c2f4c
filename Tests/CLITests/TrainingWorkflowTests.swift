import Foundation
import KRUConvert
import Testing

/// `kru train` beyond the KRU: real cells, classification, checkpoints and resuming, and `kru finetune`.
struct TrainingWorkflowTests {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kru-workflow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let text = String(repeating: "in the beginning was the word, and the word was with the cat. ", count: 30)

    /// An interrupted run (stopped after 7 of 25 steps, mid-stream, with a carried LSTM state and Adam moments)
    /// resumed from its checkpoint writes the same bytes as the uninterrupted run.
    @Test func anInterruptedRunResumesToTheSameBytes() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("text.txt").path
        try Data(Self.text.utf8).write(to: URL(fileURLWithPath: data))
        func train(_ out: String, _ extra: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try CLITests.kru(arguments: ["train", "--task", "charlm", "--data", data, "--cell", "lstm", "--factors", "2x4", "--rank", "2",
                                         "--embedding", "4", "--bptt", "15", "--batch", "3", "--steps", "25", "--validate-every", "5",
                                         "--schedule", "cosine", "--warmup", "3", "--out", out] + extra)
        }
        let straight = directory.appendingPathComponent("straight.kru").path
        let resumed = directory.appendingPathComponent("resumed.kru").path
        #expect(try train(straight, []).status == 0)
        let stopped = try train(resumed, ["--stop-after", "7"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(stopped.stdout.contains("--resume"))
        #expect(!FileManager.default.fileExists(atPath: resumed))
        #expect(FileManager.default.fileExists(atPath: resumed + ".checkpoint"))
        let finished = try train(resumed, ["--resume"])
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(FileManager.default.contents(atPath: straight) == FileManager.default.contents(atPath: resumed))

        // Resuming with other settings is refused, naming the setting.
        let other = try train(resumed, ["--resume", "--lr", "0.001"])
        #expect(other.status == 1 && other.stderr.contains("kru.train.lr"))
        let missing = try train(directory.appendingPathComponent("none.kru").path, ["--resume"])
        #expect(missing.status == 1 && missing.stderr.contains("no checkpoint"))
    }

    /// A dense GRU classifies sequences from .npy files; `kru score` reads the model and the same arrays.
    @Test func classificationFromNumPyArrays() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Class = whether the sequence's first value is positive: the model has to remember it for 6 steps.
        var inputs: [Float] = [], labels: [Int64] = []
        var seed: UInt64 = 3
        for _ in 0..<60 {
            var row: [Float] = []
            for _ in 0..<6 {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                row.append(Float(Int(seed >> 40) % 200 - 100) / 100)
            }
            inputs += row
            labels.append(row[0] > 0 ? 1 : 0)
        }
        for split in ["train", "valid"] {
            try NumPyArray(shape: [60, 6, 1], values: .float(inputs)).write(toPath: directory.appendingPathComponent("\(split)-inputs.npy").path)
            try NumPyArray(shape: [60], values: .integer(labels)).write(toPath: directory.appendingPathComponent("\(split)-targets.npy").path)
        }
        let out = directory.appendingPathComponent("gru.kru").path
        let result = try CLITests.kru("train", "--task", "classify", "--data", directory.path, "--cell", "gru", "--hidden", "8",
                                      "--steps", "150", "--batch", "20", "--lr", "0.02", "--validate-every", "50", "--out", out, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try TrainCommandTests.json(result.stdout)
        let accuracy = try #require(summary["validation"] as? Double)
        #expect(accuracy > 0.8, "validation accuracy \(accuracy)")
        let score = try CLITests.kru("score", out, "--inputs", directory.appendingPathComponent("valid-inputs.npy").path,
                                     "--targets", directory.appendingPathComponent("valid-targets.npy").path, "--json")
        #expect(score.status == 0, "\(score.stderr)")
        let scored = try TrainCommandTests.json(score.stdout)
        #expect(abs((scored["accuracy"] as? Double ?? -1) - accuracy) < 1e-9, "engine and trainer disagree")
    }

    /// `kru finetune` continues a model: better validation, the original's general.* kept, the run recorded.
    @Test func finetuneContinuesAModel() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("text.txt").path
        try Data(Self.text.utf8).write(to: URL(fileURLWithPath: data))
        let base = directory.appendingPathComponent("base.kru").path, tuned = directory.appendingPathComponent("tuned.kru").path
        let trained = try CLITests.kru("train", "--task", "charlm", "--data", data, "--cell", "rnn_tanh", "--factors", "4x4",
                                       "--bptt", "20", "--batch", "4", "--steps", "10", "--validate-every", "10", "--out", base, "--json")
        #expect(trained.status == 0, "\(trained.stderr)")
        let before = try #require(try TrainCommandTests.json(trained.stdout)["validation"] as? Double)
        let result = try CLITests.kru("finetune", base, "--data", data, "--bptt", "20", "--batch", "4", "--steps", "60",
                                      "--validate-every", "30", "--lr", "0.01", "--out", tuned, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let after = try #require(try TrainCommandTests.json(result.stdout)["validation"] as? Double)
        #expect(after < before, "fine-tuning went from \(before) to \(after) bits/char")
        let inspect = try CLITests.kru("inspect", "--json", tuned)
        #expect(inspect.stdout.contains("kru finetune") && inspect.stdout.contains("kru.finetune.source"))

        // Text outside the model's vocabulary is named in a one-line error.
        let other = directory.appendingPathComponent("other.txt").path
        try Data(String(repeating: "xyz? ", count: 200).utf8).write(to: URL(fileURLWithPath: other))
        let bad = try CLITests.kru("finetune", base, "--data", other, "--out", tuned)
        #expect(bad.status == 1 && bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains("not in"))
    }
}
