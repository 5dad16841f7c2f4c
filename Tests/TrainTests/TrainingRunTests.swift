import Foundation
import KRUFormat
import KRUInference
import Testing
@testable import KRUTrain

/// The whole run as KRUTrain gives it to `kru train`: extending a run with more steps, stopping on a non-finite loss,
/// noticing changed data, dropout and stacked layers recorded in the model.
struct TrainingRunTests {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kru-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func settings(steps: Int, schedule: TrainingSettings.Schedule = .constant) -> TrainingSettings {
        var settings = TrainingSettings(task: .copy(delay: 4))
        settings.model = .init(cell: .kru, hidden: 8)
        settings.steps = steps
        settings.batch = 4
        settings.validateEvery = 7
        settings.schedule = schedule
        settings.keepBest = true
        return settings
    }

    @discardableResult
    static func run(_ settings: TrainingSettings, _ options: TrainingRunOptions,
                    notes: inout [String]) throws -> TrainingOutcome {
        try TrainingRun(plan: try TrainingPlan.train(settings), options: options).run { event in
            if case .note(let text) = event { notes.append(text) }
        }
    }

    /// A finished 20-step run resumed with --steps 33 writes the bytes of an uninterrupted 33-step run (constant
    /// schedule; 20 is not a multiple of the validation interval, so the first run validated once more at its end).
    @Test func resumingWithMoreStepsEqualsTheLongerRun() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let straight = directory.appendingPathComponent("straight.kru").path
        let extended = directory.appendingPathComponent("extended.kru").path
        var notes: [String] = []
        try Self.run(Self.settings(steps: 33), .init(modelPath: straight), notes: &notes)
        try Self.run(Self.settings(steps: 20), .init(modelPath: extended), notes: &notes)
        var options = TrainingRunOptions(modelPath: extended)
        options.resume = true
        try Self.run(Self.settings(steps: 33), options, notes: &notes)
        #expect(FileManager.default.contents(atPath: straight) == FileManager.default.contents(atPath: extended))
        #expect(notes.contains {
            $0.contains("resuming a run of 20 steps for 33") && $0.contains("equals an uninterrupted run")
        })

        // A finished run cannot be resumed without more steps; fewer than done is refused too.
        for steps in [33, 10] {
            #expect(throws: TrainingRunError.self) { try Self.run(Self.settings(steps: steps), options, notes: &notes) }
        }
    }

    /// With a cosine schedule the continuation follows the new total, and the record says so.
    @Test func aCosineExtensionIsRecorded() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("cosine.kru").path
        var notes: [String] = []
        try Self.run(Self.settings(steps: 10, schedule: .cosine), .init(modelPath: path), notes: &notes)
        var options = TrainingRunOptions(modelPath: path)
        options.resume = true
        try Self.run(Self.settings(steps: 15, schedule: .cosine), options, notes: &notes)
        let file = try KRUFile(path: path)
        #expect(file.metadata("kru.train.earlier_steps") == .intArray([10]))
        #expect(file.metadata("kru.train.steps") == .int(15))
        // And a further extension keeps the whole history of totals.
        try Self.run(Self.settings(steps: 18, schedule: .cosine), options, notes: &notes)
        #expect(try KRUFile(path: path).metadata("kru.train.earlier_steps") == .intArray([10, 15]))
    }

    /// A learning rate that makes the loss overflow stops the run with a `.diverged` error; the last checkpoint,
    /// written before, is kept and no model is written.
    @Test func aNonFiniteLossStopsTheRunAndKeepsTheCheckpoint() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("diverged.kru").path
        var settings = Self.settings(steps: 50)
        settings.learningRate = 1e300
        settings.clip = 0
        settings.lambda = 0
        var options = TrainingRunOptions(modelPath: path)
        options.checkpointEvery = 1
        var notes: [String] = []
        do {
            try Self.run(settings, options, notes: &notes)
            Issue.record("the run finished")
        } catch let error as TrainingRunError {
            #expect(error.kind == .diverged, "\(error)")
            #expect(error.description.contains("last good checkpoint"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        let checkpoint = try KRUFile(path: options.checkpointPath)
        #expect(try KRUNetwork.parameters(of: try TrainingPlan.train(settings).network.architecture, from: checkpoint)
            .allSatisfy(\.isFinite))
    }

    /// Changing the training text after a checkpoint: --resume refuses, naming the data.
    @Test func resumeNoticesChangedData() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("text.txt"), path = directory.appendingPathComponent("lm.kru").path
        try Data(String(repeating: "the cat sat on the mat. ", count: 40).utf8).write(to: data)
        var settings = TrainingSettings(task: .charlm(data: data.path, valid: nil, bptt: 10))
        settings.model = .init(cell: .gru, hidden: 8)
        settings.steps = 10
        settings.batch = 3
        var options = TrainingRunOptions(modelPath: path)
        options.stopAfter = 4
        var notes: [String] = []
        try Self.run(settings, options, notes: &notes)
        try Data(String(repeating: "the dog sat on the log. ", count: 40).utf8).write(to: data)
        options.stopAfter = nil
        options.resume = true
        do {
            try Self.run(settings, options, notes: &notes)
            Issue.record("resumed on changed data")
        } catch let error as TrainingRunError {
            #expect(error.kind == .data && error.description.contains("training data changed"), "\(error)")
        }
    }

    /// --layers and --dropout: a two-layer model the engine loads, dropout recorded, the same settings the same bytes,
    /// another dropout probability other bytes.
    @Test func stackedLayersAndDropoutAreRecordedAndReproducible() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = Self.settings(steps: 6)
        settings.model?.layers = 2
        settings.dropout = 0.2
        let paths = ["a", "b", "c"].map { directory.appendingPathComponent("\($0).kru").path }
        var notes: [String] = []
        try Self.run(settings, .init(modelPath: paths[0]), notes: &notes)
        try Self.run(settings, .init(modelPath: paths[1]), notes: &notes)
        settings.dropout = 0.3
        try Self.run(settings, .init(modelPath: paths[2]), notes: &notes)
        let bytes = paths.map { FileManager.default.contents(atPath: $0) }
        #expect(bytes[0] != nil && bytes[0] == bytes[1] && bytes[0] != bytes[2])
        let file = try KRUFile(path: paths[0])
        #expect(file.metadata("kru.train.dropout") == .float(0.2) && file.metadata("kru.train.layers") == .int(2))
        #expect(try KRUModel(path: paths[0]).description.layers.count == 2)
    }

    /// Without --factors a kru cell gets 2×2 factors from --hidden (prime factors otherwise) and a note says so.
    @Test func defaultFactorsComeFromTheHiddenSize() throws {
        for (hidden, expected) in [(8, "2x2x2"), (12, "2x2x3")] {
            var settings = Self.settings(steps: 1)
            settings.model = .init(cell: .kru, hidden: hidden)
            let plan = try TrainingPlan.train(settings)
            #expect(plan.settings.model?.factors?.description == expected)
            #expect(plan.notes.count == 1 && plan.notes[0].contains("--factors \(expected)"))
        }
    }

    /// Settings that cannot work are refused before anything runs, in one line naming the flag.
    @Test func badSettingsAreRefusedInOneLine() throws {
        var cases: [(TrainingSettings, String)] = []
        for (value, flag) in [(Double.infinity, "--lr"), (.nan, "--lr")] {
            var settings = Self.settings(steps: 1)
            settings.learningRate = value
            cases.append((settings, flag))
        }
        var clip = Self.settings(steps: 1)
        clip.clip = -1
        cases.append((clip, "--clip"))
        var delay = Self.settings(steps: 1)
        delay.task = .copy(delay: 1_000_000_000)
        cases.append((delay, "memory"))
        var batch = Self.settings(steps: 1)
        batch.batch = 1 << 62
        cases.append((batch, "memory"))
        for (settings, needle) in cases {
            do {
                _ = try TrainingPlan.train(settings)
                Issue.record("accepted \(needle)")
            } catch {
                #expect(error.description.contains(needle) && !error.description.contains("\n"), "\(error)")
                #expect(error.kind == .usage)
            }
        }
    }
}
