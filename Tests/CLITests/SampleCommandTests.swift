import Foundation
import Testing

/// `kru sample`'s generation features as a user runs them. Each is checked against another way of getting the same
/// text: a stop sequence against the unstopped text of the same seed, JSON lines against the plain text, standard
/// input against --prime, a saved state against reading the whole prime, interactive turns against separate runs
/// chained through saved states.
struct SampleCommandTests {
    static let model = "Tests/Fixtures/models/torch_lstm_l2.kru"  // vocabulary "abcdefg"

    /// Runs `kru` with `input` on standard input.
    static func kru(_ arguments: [String], input: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let process = Process()
        process.executableURL = products.appendingPathComponent("kru")
        process.arguments = arguments
        process.currentDirectoryURL = CLITests.root
        let stdin = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self),
                String(decoding: stderr, as: UTF8.self))
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kru-\(UUID().uuidString)-\(name)").path
    }

    @Test(arguments: ["a", "gf", "ccc"])
    func stopEndsTheTextAtTheFirstOccurrence(stop: String) throws {
        let common = ["sample", Self.model, "--prime", "b", "--seed", "3", "--temperature", "1.5", "--no-echo"]
        let full = try CLITests.kru(arguments: common + ["--length", "400"]).stdout.dropLast()
        let stopped = try CLITests.kru(arguments: common + ["--length", "400", "--stop", stop])
        #expect(stopped.status == 0)
        if let range = full.range(of: stop) {
            #expect(stopped.stdout == String(full[..<range.lowerBound]) + "\n")
        } else {
            #expect(stopped.stdout == full + "\n")
        }
        let untilStop = try CLITests.kru(arguments: common + ["--until-stop", "--stop", "d"])
        #expect(untilStop.status == 0 && !untilStop.stdout.contains("d"))
    }

    @Test func jsonLinesCarryEachCharacterAndASummary() throws {
        let common = ["sample", Self.model, "--prime", "ab", "--seed", "5", "--length", "60", "--stop", "fa"]
        let plain = try CLITests.kru(arguments: common + ["--no-echo"]).stdout
        let json = try CLITests.kru(arguments: common + ["--json"])
        #expect(json.status == 0)
        let objects = try json.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let tokens = objects.dropLast()
        #expect(tokens.map { $0["text"] as! String }.joined() + "\n" == plain)
        #expect(tokens.allSatisfy { ($0["logprob"] as! Double) <= 0 && $0["token"] is Int })
        let summary = try #require(objects.last?["summary"] as? [String: Any])
        #expect(summary["seed"] as? String == "5")
        #expect(summary["tokens"] as? Int == tokens.count)
        let reason = summary["finish_reason"] as? String
        #expect(reason == (plain.count - 1 < 60 ? "stop" : "length"))
    }

    @Test func primeFromStandardInputEqualsThePrimeFlag() throws {
        let viaFlag = try CLITests.kru("sample", Self.model, "--prime", "abcab", "--seed", "9", "--length", "30")
        let viaStdin = try Self.kru(["sample", Self.model, "--prime-file", "-", "--seed", "9", "--length", "30"],
                                    input: "abcab")
        #expect(viaStdin.status == 0 && viaStdin.stdout == viaFlag.stdout)
    }

    @Test func aSavedStateContinuesLikeReadingTheWholePrime() throws {
        let state = Self.temporaryPath("state.kru")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let saved = try CLITests.kru("sample", Self.model, "--prime", "abcd", "--length", "0", "--save-state", state)
        #expect(saved.status == 0)
        let continued = try CLITests.kru("sample", Self.model, "--load-state", state, "--prime", "ef", "--seed", "4",
                                         "--length", "40", "--no-echo")
        let whole = try CLITests.kru("sample", Self.model, "--prime", "abcdef", "--seed", "4", "--length", "40",
                                     "--no-echo")
        #expect(continued.status == 0 && continued.stdout == whole.stdout)
        let foreign = try CLITests.kru("sample", "Tests/Fixtures/models/torch_gru_l1.kru", "--load-state", state)
        #expect(foreign.status == 65 && foreign.stderr.hasPrefix("kru: error: ")
            && foreign.stderr.split(separator: "\n").count == 1)
    }

    @Test func interactiveTurnsContinueFromTheModelsState() throws {
        let options = ["--seed", "11", "--length", "25", "--stop", "g"]
        let interactive = try Self.kru(["sample", Self.model, "--prime", "ab", "--interactive"] + options,
                                       input: "cde\nfa\n")
        #expect(interactive.status == 0)
        // The same, one turn per run, the state carried from run to run in a file (each turn uses the next seed).
        let state = Self.temporaryPath("turns.kru")
        defer { try? FileManager.default.removeItem(atPath: state) }
        var expected = try CLITests.kru(
            arguments: ["sample", Self.model, "--prime", "ab", "--save-state", state] + options).stdout
        // The fixture's vocabulary has no newline, so the lines are read without it; turn k samples with seed + k.
        for (turn, line) in ["cde", "fa"].enumerated() {
            let seed = String(11 + turn + 1)
            expected += try CLITests.kru(arguments: ["sample", Self.model, "--load-state", state, "--prime", line,
                                                     "--no-echo", "--save-state", state, "--seed", seed,
                                                     "--length", "25", "--stop", "g"]).stdout
        }
        #expect(interactive.stdout == expected)
    }

    @Test(arguments: [["--temperature", "nan"], ["--temperature", "-nan"], ["--temperature", "-0.5"],
                      ["--top-k", "-2"], ["--top-k", "0"], ["--top-p", "0"], ["--top-p", "1.01"], ["--top-p", "nan"],
                      ["--length", "-1"], ["--stop", ""]])
    func impossibleSettingsAreOneLineUsageErrors(flags: [String]) throws {
        let result = try CLITests.kru(arguments: ["sample", Self.model, "--seed", "1"] + flags)
        #expect(result.status == 64)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("kru: error: "), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
