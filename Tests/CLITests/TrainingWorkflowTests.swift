import Foundation
import KRUConvert
import KRUFormat
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
            try CLITests.kru(
                arguments: [
                    "train", "--task", "charlm", "--data", data, "--cell", "lstm", "--factors", "2x4", "--rank", "2",
                    "--embedding", "4", "--bptt", "15", "--batch", "3", "--steps", "25", "--validate-every", "5",
                    "--schedule", "cosine", "--warmup", "3", "--keep-best", "-o", out,
                ] + extra)
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
        // --keep-best wrote the parameters of the best validation and recorded its step.
        let inspect = try CLITests.kru("inspect", "--json", straight)
        #expect(inspect.stdout.contains("kru.train.best_step"))

        // Resuming with other settings is refused, naming the setting.
        let other = try train(resumed, ["--resume", "--lr", "0.001"])
        #expect(other.status == 64 && other.stderr.contains("kru.train.lr"))
        let missing = try train(directory.appendingPathComponent("none.kru").path, ["--resume"])
        #expect(missing.status == 66 && missing.stderr.contains("no checkpoint"))
    }

    /// A dense GRU classifies sequences from .npy files; `kru score` reads the model and the same arrays.
    @Test func classificationFromNumPyArrays() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Class = whether the sequence's first value is positive: the model has to remember it for 6 steps.
        var inputs: [Float] = []
        var labels: [Int64] = []
        var seed: UInt64 = 3
        for _ in 0..<60 {
            var row: [Float] = []
            for _ in 0..<6 {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                row.append(Float(Int(seed >> 40) % 200 - 100) / 100)
            }
            inputs += row
            labels.append(row[0] > 0 ? 1 : 0)
        }
        for split in ["train", "valid"] {
            try NumPyArray(shape: [60, 6, 1], values: .float(inputs)).write(
                toPath: directory.appendingPathComponent("\(split)-inputs.npy").path)
            try NumPyArray(shape: [60], values: .integer(labels)).write(
                toPath: directory.appendingPathComponent("\(split)-targets.npy").path)
        }
        let out = directory.appendingPathComponent("gru.kru").path
        let log = directory.appendingPathComponent("log.jsonl").path
        let result = try CLITests.kru(
            "train", "--task", "classify", "--data", directory.path, "--cell", "gru", "--hidden", "8",
            "--steps", "150", "--batch", "20", "--lr", "0.02", "--validate-every", "50", "-o", out,
            "--log", log, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        // --log: one JSON line per validation.
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let steps = try lines.map { try #require(try TrainCommandTests.json(String($0))["step"] as? Int) }
        #expect(steps == [50, 100, 150])
        let summary = try TrainCommandTests.json(result.stdout)
        let accuracy = try #require(summary["validation"] as? Double)
        #expect(accuracy > 0.8, "validation accuracy \(accuracy)")
        // --keep-best: the model written is the best validation's, whose accuracy the engine reproduces.
        let best = directory.appendingPathComponent("best.kru").path
        let bestRun = try CLITests.kru(
            "train", "--task", "classify", "--data", directory.path, "--cell", "gru", "--hidden", "8",
            "--steps", "150", "--batch", "20", "--lr", "0.02", "--validate-every", "25", "-o", best,
            "--keep-best", "--json")
        let bestSummary = try TrainCommandTests.json(bestRun.stdout)
        let history = try #require(bestSummary["validation_history"] as? [Double])
        let bestScore = try CLITests.kru(
            "score", best, "--inputs", directory.appendingPathComponent("valid-inputs.npy").path,
            "--targets", directory.appendingPathComponent("valid-targets.npy").path, "--json")
        let bestAccuracy = try #require(try TrainCommandTests.json(bestScore.stdout)["accuracy"] as? Double)
        #expect(abs(bestAccuracy - history.max()!) < 1e-9, "best model \(bestAccuracy) vs history \(history)")
        let score = try CLITests.kru(
            "score", out, "--inputs", directory.appendingPathComponent("valid-inputs.npy").path,
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
        let base = directory.appendingPathComponent("base.kru").path
        let tuned = directory.appendingPathComponent("tuned.kru").path
        let trained = try CLITests.kru(
            "train", "--task", "charlm", "--data", data, "--cell", "rnn_tanh", "--factors", "4x4",
            "--bptt", "20", "--batch", "4", "--steps", "10", "--validate-every", "10", "-o", base, "--json")
        #expect(trained.status == 0, "\(trained.stderr)")
        let before = try #require(try TrainCommandTests.json(trained.stdout)["validation"] as? Double)
        let result = try CLITests.kru(
            "finetune", base, "--data", data, "--bptt", "20", "--batch", "4", "--steps", "60",
            "--validate-every", "30", "--lr", "0.01", "-o", tuned, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let after = try #require(try TrainCommandTests.json(result.stdout)["validation"] as? Double)
        #expect(after < before, "fine-tuning went from \(before) to \(after) bits/char")
        let inspect = try CLITests.kru("inspect", "--json", tuned)
        #expect(inspect.stdout.contains("kru finetune") && inspect.stdout.contains("kru.finetune.source"))

        // Text outside the model's vocabulary is named in a one-line error.
        let other = directory.appendingPathComponent("other.txt").path
        try Data(String(repeating: "xyz? ", count: 200).utf8).write(to: URL(fileURLWithPath: other))
        let bad = try CLITests.kru("finetune", base, "--data", other, "-o", tuned)
        // Text outside the model's vocabulary is bad data (EX_DATAERR).
        #expect(bad.status == 65 && bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains("not in"))
        // --length means nothing to a character model.
        let length = try CLITests.kru("finetune", base, "--data", data, "--length", "50", "-o", tuned)
        #expect(
            length.status == 64 && length.stderr.contains("are for copy-memory and adding models"), "\(length.stderr)")
    }

    /// `kru finetune` continues a copy or adding model on its own task — at a longer T when given (a curriculum):
    /// the model learned at T = 8 improves at T = 16, and the file records the new T; --data is refused.
    @Test func finetuneContinuesASyntheticTaskAtALongerLength() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let short = directory.appendingPathComponent("adding8.kru").path
        let long = directory.appendingPathComponent("adding16.kru").path
        let trained = try CLITests.kru(
            "train", "--task", "adding", "--length", "8", "--factors", "2x2x2", "--steps", "300",
            "--lr", "0.01", "--validate-every", "300", "-o", short, "--json")
        #expect(trained.status == 0, "\(trained.stderr)")
        // The T = 8 model before and after 100 updates at T = 16, both measured by the fine-tuning's own validation.
        let untouched = try CLITests.kru(
            "finetune", short, "--length", "16", "--steps", "1", "--lr", "1e-12", "--lambda", "0",
            "--validate-every", "1", "-o", long, "--json")
        let before = try #require(try TrainCommandTests.json(untouched.stdout)["validation"] as? Double)
        let tuned = try CLITests.kru(
            "finetune", short, "--length", "16", "--steps", "100", "--lr", "0.005", "--validate-every", "100",
            "-o", long, "--json")
        #expect(tuned.status == 0, "\(tuned.stderr)")
        let after = try #require(try TrainCommandTests.json(tuned.stdout)["validation"] as? Double)
        #expect(after < before && after < 1.0 / 6.0, "T = 16: \(before) → \(after) (baseline 0.167)")
        let file = try KRUFile(path: long)
        #expect(file.metadata("kru.train.task") == .string("adding") && file.metadata("kru.train.length") == .int(16))
        #expect(file.metadata("kru.finetune.source") == .string("adding8.kru"))

        // Without --length the model's own T is used; --data has no meaning for a generated task.
        let again = try CLITests.kru("finetune", short, "--steps", "1", "--validate-every", "1", "-o", long)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try KRUFile(path: long).metadata("kru.train.length") == .int(8))
        let withData = try CLITests.kru("finetune", short, "--data", short, "-o", long)
        #expect(withData.status != 0 && withData.stderr.contains("generated sequences"))
        let wrongFlag = try CLITests.kru("finetune", short, "--delay", "16", "-o", long)
        #expect(wrongFlag.status != 0 && wrongFlag.stderr.contains("give --length, not --delay"), "\(wrongFlag.stderr)")

        // A damaged or hostile recorded length is refused in one line instead of sizing the batches.
        let original = try KRUFile(path: short)
        for hostile: Int64 in [0, 1, 1 << 40, -5] {
            let metadata = original.metadata.map {
                $0.key == "kru.train.length" ? KRUMetadataEntry($0.key, .int(hostile)) : $0
            }
            let forged = directory.appendingPathComponent("forged.kru").path
            try KRUWriter(metadata: metadata, tensors: try original.tensors.map { try original.tensor($0) }).write(
                toPath: forged)
            let refused = try CLITests.kru("finetune", forged, "--steps", "1", "-o", long)
            #expect(
                refused.status == 64 && refused.stderr.contains("kru.train.length is missing or out of range"),
                "\(hostile): \(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1)
        }

        // A copy model continues at a longer delay the same way.
        let copy = directory.appendingPathComponent("copy.kru").path
        #expect(
            try CLITests.kru("train", "--task", "copy", "--delay", "5", "--factors", "2x2", "--steps", "2", "-o", copy)
                .status == 0)
        let copied = try CLITests.kru("finetune", copy, "--delay", "9", "--steps", "2", "-o", long)
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(try KRUFile(path: long).metadata("kru.train.delay") == .int(9))
    }

    /// Music: a KRU learns a two-frame alternation on piano rolls; `kru score --lengths` agrees with the trainer.
    @Test func musicOnPianoRolls() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lengths: [Int64] = [6, 3, 9, 4]
        var rolls: [Int64] = []
        for length in lengths {
            for t in 0..<Int(length) { rolls += t % 2 == 0 ? [1, 0, 1, 0] : [0, 1, 0, 1] }
        }
        for split in ["train", "valid"] {
            try NumPyArray(shape: [rolls.count / 4, 4], values: .integer(rolls)).write(
                toPath: directory.appendingPathComponent("\(split)-rolls.npy").path)
            try NumPyArray(shape: [4], values: .integer(lengths)).write(
                toPath: directory.appendingPathComponent("\(split)-lengths.npy").path)
        }
        let out = directory.appendingPathComponent("music.kru").path
        let result = try CLITests.kru(
            "train", "--task", "music", "--data", directory.path, "--factors", "2x2", "--steps", "200",
            "--batch", "4", "--lr", "0.02", "--validate-every", "100", "-o", out, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let nll = try #require(try TrainCommandTests.json(result.stdout)["validation"] as? Double)
        #expect(nll < 0.5, "validation NLL \(nll) nats/frame; 4·log 2 = 2.77 is chance")

        // The same pieces as padded next-frame arrays, scored by the engine.
        let steps = Int(lengths.max()!) - 1
        var inputs = [Float](repeating: 0, count: 4 * steps * 4)
        var targets = inputs
        for (b, length) in lengths.enumerated() {
            for t in 0..<Int(length) - 1 {
                for key in 0..<4 {
                    inputs[(b * steps + t) * 4 + key] = (t % 2 == 0) == (key % 2 == 0) ? 1 : 0
                    targets[(b * steps + t) * 4 + key] = (t % 2 == 1) == (key % 2 == 0) ? 1 : 0
                }
            }
        }
        let x = directory.appendingPathComponent("x.npy").path
        let y = directory.appendingPathComponent("y.npy").path
        let n = directory.appendingPathComponent("n.npy").path
        try NumPyArray(shape: [4, steps, 4], values: .float(inputs)).write(toPath: x)
        try NumPyArray(shape: [4, steps, 4], values: .float(targets)).write(toPath: y)
        try NumPyArray(shape: [4], values: .integer(lengths.map { $0 - 1 })).write(toPath: n)
        let score = try CLITests.kru("score", out, "--inputs", x, "--targets", y, "--lengths", n, "--json")
        #expect(score.status == 0, "\(score.stderr)")
        let engine = try #require(try TrainCommandTests.json(score.stdout)["nll_per_step"] as? Double)
        #expect(abs(engine - nll) < 1e-4 * max(1, nll), "engine \(engine) vs trainer \(nll)")
    }

    /// `kru finetune --factors`: a dense LSTM becomes a Kronecker one (its nearest Kronecker products) and trains;
    /// the written model has the Kronecker recurrence, records how it was factored, and validates better than the
    /// untrained factorisation.
    @Test func finetuneFactorsADenseModel() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("text.txt").path
        try Data(Self.text.utf8).write(to: URL(fileURLWithPath: data))
        let dense = directory.appendingPathComponent("dense.kru").path
        let factored = directory.appendingPathComponent("factored.kru").path
        #expect(
            try CLITests.kru(
                "train", "--task", "charlm", "--data", data, "--cell", "lstm", "--hidden", "16",
                "--bptt", "20",
                "--batch", "4", "--steps", "40", "--lr", "0.01", "-o", dense
            ).status == 0)
        func finetune(_ steps: String, _ lr: String) throws -> Double {
            let result = try CLITests.kru(
                "finetune", dense, "--factors", "auto", "--rank", "2", "--data", data,
                "--bptt", "20",
                "--batch", "4", "--steps", steps, "--lr", lr, "--validate-every", steps,
                "-o", factored,
                "--json")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("factored the dense recurrences"), "\(result.stderr)")
            return try #require(try TrainCommandTests.json(result.stdout)["validation"] as? Double)
        }
        let untrained = try finetune("1", "1e-12")
        let trained = try finetune("60", "0.005")
        #expect(trained < untrained, "\(untrained) → \(trained) bits/char")
        let file = try KRUFile(path: factored)
        #expect(file.metadata("kru.finetune.factors") == .string("auto"))
        #expect(file.metadata("kru.finetune.rank") == .int(2))
        #expect(file.metadata("kru.layer.0.recurrent") == .string("kronecker"))
        #expect(try file.tensorInfo(named: "layer.0.weight_hh.3.1.1")?.shape == [4, 4])
        // A model without a dense recurrence has nothing to factor.
        let bad = try CLITests.kru("finetune", factored, "--factors", "auto", "--data", data, "-o", dense)
        #expect(bad.status == 64 && bad.stderr.contains("no dense recurrence"), "\(bad.stderr)")
    }
}
