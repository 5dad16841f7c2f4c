import Foundation
import KRUFormat
import KRUInference
import Testing

/// `kru train` as a user runs it: short runs that finish in seconds in a debug build.
struct TrainCommandTests {
    /// A fresh path in the temporary directory.
    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kru-train-\(UUID().uuidString)-\(name)").path
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func shortCopyRunLearnsWellBelowTheBaselineAndWritesAnInspectableModel() throws {
        let out = Self.temporary("copy.kru")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try CLITests.kru("train", "--task", "copy", "--delay", "10", "--hidden", "32",
                                      "--factors", "2x2x2x2x2", "--steps", "300", "--lr", "0.005", "--seed", "1",
                                      "--threads", "2", "--validate-every", "50", "-o", out, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)  // no progress line when standard error is a pipe
        let summary = try Self.json(result.stdout)
        let baseline = try #require(summary["baseline"] as? Double)
        let ratio = try #require(summary["ratio"] as? Double)
        #expect(abs(baseline - 1.0) < 1e-12)  // 10·log₂8/(10 + 20)
        #expect(ratio < 0.25, "validation/baseline \(ratio)")
        #expect(summary["steps"] as? Int == 300)
        #expect((summary["validation_history"] as? [Double])?.count == 6)

        let inspect = try CLITests.kru("inspect", "--json", out)
        #expect(inspect.status == 0)
        let document = try Self.json(inspect.stdout)
        let metadata = try #require(document["metadata"])
        let text = "\(metadata)"
        for key in ["general.creation_tool", "kru.train.task", "kru.train.steps", "kru.train.seed", "kru.train.lr",
                    "kru.train.lambda", "kru.train.validation_history", "kru.train.delay"] {
            #expect(text.contains(key), "missing \(key)")
        }
        #expect(text.contains("kru train"))
    }

    @Test func addingRunReportsTheMeanSquaredErrorBaseline() throws {
        let out = Self.temporary("adding.kru")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try CLITests.kru("train", "--task", "adding", "--length", "10", "--factors", "2x2x2",
                                      "--steps", "20", "-o", out, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try Self.json(result.stdout)
        #expect(abs((summary["baseline"] as? Double ?? 0) - 1.0 / 6.0) < 1e-12)
        #expect(summary["unit"] as? String == "mse")
        #expect(try CLITests.kru("inspect", out).status == 0)
    }

    /// --initialization identity starts the factors at the identity: with a learning rate too small to matter after
    /// one step, the recurrent factors are still the identity to single precision; the choice is recorded.
    @Test func identityInitializationIsUsedAndRecorded() throws {
        let out = Self.temporary("identity.kru")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try CLITests.kru("train", "--task", "copy", "--delay", "5", "--factors", "2x2", "--steps", "1",
                                      "--lr", "1e-12", "--lambda", "0", "--initialization", "identity", "-o", out)
        #expect(result.status == 0, "\(result.stderr)")
        let model = try KRUModel(path: out)
        let file = try KRUFile(path: out)
        #expect(file.metadata("kru.train.initialization") == .string("identity"))
        for f in 0..<2 {
            let (re, im) = try file.tensor(named: "layer.0.weight_hh.0.0.\(f)").complexDoubles()
            #expect(zip(re, [1, 0, 0, 1]).allSatisfy { abs($0 - $1) < 1e-6 } && im.allSatisfy { abs($0) < 1e-6 })
        }
        #expect(model.recurrentParameterCount == 16)
    }

    /// --weight-decay is recorded in the model (and so must match to resume); a negative one is a usage error.
    @Test func weightDecayIsRecorded() throws {
        let out = Self.temporary("decay.kru")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try CLITests.kru("train", "--task", "adding", "--length", "6", "--factors", "2x2", "--steps", "2",
                                      "--weight-decay", "0.25", "-o", out)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try KRUFile(path: out).metadata("kru.train.weight_decay") == .float(0.25))
        let negative = try CLITests.kru("train", "--task", "adding", "--factors", "2x2", "--weight-decay", "-1",
                                        "-o", out)
        #expect(negative.status != 0 && negative.stderr.contains("--weight-decay"))
    }

    @Test func theSameSeedWritesTheSameBytes() throws {
        let paths = [Self.temporary("a.kru"), Self.temporary("b.kru"), Self.temporary("c.kru")]
        defer { paths.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        for (path, seed) in zip(paths, ["5", "5", "6"]) {
            let result = try CLITests.kru("train", "--task", "copy", "--delay", "5", "--factors", "2x2x2",
                                          "--steps", "20", "--seed", seed, "--threads", "2", "-o", path)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let bytes = paths.map { FileManager.default.contents(atPath: $0) }
        #expect(bytes[0] != nil && bytes[0] == bytes[1])
        #expect(bytes[0] != bytes[2])
    }

    @Test(arguments: [["--factors", "2xx2"], ["--factors", "two"], ["--factors", "2x2", "--hidden", "8"],
                      ["--factors", "2x2", "--activation", "relu"]])
    func badArgumentsGiveAOneLineError(arguments: [String]) throws {
        let out = Self.temporary("bad.kru")
        let result = try CLITests.kru(arguments: ["train", "--task", "copy", "-o", out] + arguments)
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("kru: error: ") == true)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func characterModelTrainsSamplesAndScores() throws {
        let data = Self.temporary("text.txt"), out = Self.temporary("charlm.kru")
        defer { [data, out].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let text = String(repeating: "abracadabra, the cat sat on the mat. ", count: 40)
        try Data(text.utf8).write(to: URL(fileURLWithPath: data))
        let result = try CLITests.kru("train", "--task", "charlm", "--data", data, "--factors", "2x2x2",
                                      "--bptt", "20", "--batch", "4", "--steps", "30", "--validate-every", "10",
                                      "--embedding", "6", "-o", out, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try Self.json(result.stdout)
        let bits = try #require(summary["validation_bits_per_char"] as? Double)
        #expect(bits.isFinite && bits > 0)
        #expect((summary["validation_history"] as? [Double])?.count == 3)

        let sample = try CLITests.kru("sample", out, "--prime", "the ", "--length", "40", "--seed", "1")
        #expect(sample.status == 0, "\(sample.stderr)")
        #expect(sample.stdout.hasPrefix("the "))
        let vocabulary = Set(text)
        #expect(sample.stdout.dropLast().allSatisfy { vocabulary.contains($0) })
        let score = try CLITests.kru("score", out, data)
        #expect(score.status == 0, "\(score.stderr)")
    }

    /// Non-finite or absurd settings and sizes that cannot fit are refused before anything runs, in one line that
    /// names the flag or the memory the run would need (issue 15's hardening of the training commands).
    struct Refusal: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let needle: String
        /// EX_USAGE for settings, EX_NOINPUT for missing data (docs/CLI.md).
        var status: Int32 = 64
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let refusals: [Refusal] = [
        Refusal(arguments: ["--task", "copy", "--hidden", "8", "--lr", "inf"], needle: "--lr"),
        Refusal(arguments: ["--task", "copy", "--hidden", "8", "--lr", "nan"], needle: "--lr"),
        Refusal(arguments: ["--task", "copy", "--hidden", "8", "--lambda", "inf"], needle: "--lambda"),
        Refusal(arguments: ["--task", "copy", "--hidden", "8", "--dropout", "1"], needle: "--dropout"),
        Refusal(arguments: ["--task", "copy", "--hidden", "8", "--delay", "1000000000"], needle: "memory"),
        Refusal(arguments: ["--task", "adding", "--hidden", "8", "--length", "1e9"], needle: "memory"),
        Refusal(arguments: ["--task", "copy", "--hidden", "8", "--batch", "1e9"], needle: "memory"),
        Refusal(arguments: ["--task", "copy", "--hidden", "8", "--batch", "2^62"], needle: "memory"),
        Refusal(arguments: ["--task", "copy", "--factors", Array(repeating: "2", count: 24).joined(separator: "x")],
                needle: "memory"),
        Refusal(arguments: ["--task", "charlm", "--hidden", "8", "--data", "/nonexistent/text.txt"],
                needle: "No such file", status: 66),
        Refusal(arguments: ["--task", "copy", "--hidden", "8", "--cell", "transformer"], needle: "'--cell <cell>'"),
        Refusal(arguments: ["--task", "copy", "--hidden", "8", "--activation", "relu"],
                needle: "'--activation <activation>'"),
    ]

    @Test(arguments: refusals)
    func impossibleRunsAreRefusedInOneLine(_ refusal: Refusal) throws {
        let out = Self.temporary("refused.kru")
        let result = try CLITests.kru(arguments: ["train", "-o", out, "--steps", "1"] + refusal.arguments)
        let needle = refusal.needle
        #expect(result.status == refusal.status)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("kru: error: ") && lines[0].contains(needle), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// A learning rate that is finite but absurd makes the loss non-finite: the run stops with one line, status 1
    /// (the run failed; 70 is for bugs in kru) and no model is written.
    @Test func aRunWhoseLossBecomesNonFiniteFailsWithStatus1() throws {
        let out = Self.temporary("diverged.kru")
        let result = try CLITests.kru("train", "--task", "copy", "--factors", "2x2x2", "--delay", "5", "--lr", "1e30",
                                      "--steps", "50", "-o", out)
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("kru: error: step ")
                    && lines[0].contains("training loss became"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// Without --factors a kru cell takes 2×2 factors from --hidden and says so on standard error; the model records
    /// the factors chosen.
    @Test func aKRUWithoutFactorsGetsTwoByTwoFactors() throws {
        let out = Self.temporary("default.kru")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try CLITests.kru("train", "--task", "copy", "--delay", "5", "--hidden", "16", "--steps", "2",
                                      "-o", out)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("--factors 2x2x2x2"))
        #expect(try KRUFile(path: out).metadata("kru.train.factors") == .string("2x2x2x2"))
    }

    /// --resume with a larger --steps continues a finished run (constant schedule: the bytes of the longer run).
    @Test func resumeExtendsAFinishedRun() throws {
        let (long, extended) = (Self.temporary("long.kru"), Self.temporary("extended.kru"))
        defer { [long, extended, extended + ".checkpoint"].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        func train(_ out: String, _ steps: String, _ extra: [String] = []) throws -> Int32 {
            try CLITests.kru(arguments: ["train", "--task", "adding", "--length", "6", "--factors", "2x2",
                                         "--steps", steps, "--validate-every", "4", "-o", out] + extra).status
        }
        #expect(try train(long, "15") == 0)
        #expect(try train(extended, "9") == 0)
        #expect(try train(extended, "15", ["--resume"]) == 0)
        #expect(FileManager.default.contents(atPath: long) == FileManager.default.contents(atPath: extended))
    }

    /// Two stacked LSTM layers with dropout train, and the engine loads the result.
    @Test func stackedLayersWithDropout() throws {
        let out = Self.temporary("stack.kru")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try CLITests.kru("train", "--task", "copy", "--delay", "5", "--cell", "lstm", "--hidden", "8",
                                      "--layers", "2",
                                      "--dropout", "0.1", "--steps", "3", "-o", out)
        #expect(result.status == 0, "\(result.stderr)")
        let model = try KRUModel(path: out)
        #expect(model.description.layers.count == 2 && model.description.layers.allSatisfy { $0.cell == .lstm })
    }

    /// The training data's failures have the statuses of docs/CLI.md, in one line naming the file: EX_NOINPUT (66)
    /// for a directory or a FIFO (refused before opening, so it cannot hang), EX_DATAERR (65) for a text that is not
    /// UTF-8, too short for the batch, or changed since the checkpoint a --resume continues.
    @Test func trainingDataErrorsHaveTheirExitStatuses() throws {
        let directory = Self.temporary("data")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fifo = directory + "/fifo.txt", latin1 = directory + "/latin1.txt", short = directory + "/short.txt"
        let text = directory + "/text.txt", out = directory + "/m.kru"
        #expect(mkfifo(fifo, 0o600) == 0)
        try Data([0x63, 0x61, 0x66, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: latin1))
        try Data("abc".utf8).write(to: URL(fileURLWithPath: short))
        try Data(String(repeating: "the cat sat on the mat. ", count: 40).utf8).write(to: URL(fileURLWithPath: text))
        let charlm = ["train", "--task", "charlm", "--cell", "gru", "--hidden", "8", "--bptt", "10", "--batch", "3",
                      "--steps", "10", "-o", out]
        let cases: [(data: String, status: Int32, needle: String)] = [
            (directory, 66, "is a directory"), (fifo, 66, "is a FIFO"), (latin1, 65, "not valid UTF-8"),
            (short, 65, "too few"),
        ]
        for (data, status, needle) in cases {
            let result = try CLITests.kru(arguments: charlm + ["--data", data])
            let lines = result.stderr.split(separator: "\n")
            #expect(result.status == status && lines.count == 1 && lines[0].contains(needle),
                    "\(data): \(result.stderr)")
        }
        #expect(try CLITests.kru(arguments: charlm + ["--data", text, "--stop-after", "4"]).status == 0)
        try Data(String(repeating: "the dog sat on the log. ", count: 40).utf8).write(to: URL(fileURLWithPath: text))
        let resumed = try CLITests.kru(arguments: charlm + ["--data", text, "--resume"])
        #expect(resumed.status == 65 && resumed.stderr.contains("training data changed"), "\(resumed.stderr)")
        let finetuned = try CLITests.kru("finetune", directory, "--data", text, "-o", out)
        #expect(finetuned.status == 66 && finetuned.stderr.contains("is a directory"), "\(finetuned.stderr)")
    }

    /// `-o/--output` names the model; the old spelling `--out` still works (the model cards' commands use it) but is
    /// not in the help, and giving both, or neither, is a usage error.
    @Test func theOutputIsDashOWithTheOldSpellingHidden() throws {
        let out = Self.temporary("alias.kru")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let copy = ["train", "--task", "copy", "--delay", "3", "--hidden", "4", "--steps", "2"]
        #expect(try CLITests.kru(arguments: copy + ["--out", out]).status == 0)
        #expect(FileManager.default.fileExists(atPath: out))
        let help = try CLITests.kru("train", "--help").stdout
        #expect(help.contains("-o, --output <output>") && !help.contains("--out <"))
        let both = try CLITests.kru(arguments: copy + ["--out", out, "-o", out])
        #expect(both.status == 64 && both.stderr.contains("once"), "\(both.stderr)")
        let neither = try CLITests.kru(arguments: copy)
        #expect(neither.status == 64 && neither.stderr.contains("missing -o/--output"), "\(neither.stderr)")
    }

    /// An output that cannot be created is refused before any training (status 73), the model's, the checkpoint's
    /// and the log's alike.
    @Test func unwritableOutputsAreRefusedBeforeTraining() throws {
        let out = Self.temporary("fine.kru")
        for extra in [["-o", "/nonexistent/dir/x.kru"], ["-o", out, "--checkpoint", "/nonexistent/dir/x.ckpt"],
                      ["-o", out, "--log", "/nonexistent/dir/log.jsonl"], ["-o", "/dev/null"]] {
            let result = try CLITests.kru(
                arguments: ["train", "--task", "copy", "--hidden", "8", "--steps", "100000"] + extra)
            #expect(result.status == 73, "\(extra): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
