import Foundation
import Testing

/// `kru quantize` as a user runs it: the copy it writes, its report, its errors, and that a failure leaves an
/// existing output untouched.
struct QuantizeCommandTests {
    static let lstm = "Tests/Fixtures/models/torch_lstm_l2.kru"

    /// A fresh scratch directory, removed by the caller.
    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kru-quantize-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A model name is looked up in the models directory, as for the other commands that read a model.
    @Test func takesAModelNameFromTheModelsDirectory() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent(Self.lstm),
                                         to: folder.appendingPathComponent("tiny.kru"))
        let output = folder.appendingPathComponent("tiny-f16.kru").path
        let byName = try CLITests.kru(arguments: ["quantize", "tiny", "--models", folder.path, "--to", "f16",
                                                  "-o", output])
        #expect(byName.status == 0, "\(byName.stderr)")
        let byPath = try CLITests.kru(arguments: ["quantize", Self.lstm, "--to", "f16", "-o", output + ".2"])
        #expect(byPath.status == 0)
        #expect(FileManager.default.contents(atPath: output) == FileManager.default.contents(atPath: output + ".2"))
        let missing = try CLITests.kru(arguments: ["quantize", "no-such-model", "--models", folder.path, "--to",
                                                   "f16", "-o", output + ".3"])
        #expect(missing.status == 66 && missing.stderr.contains("no-such-model.kru in the models directory"))
    }

    @Test func writesANarrowedCopyThatInspectAndScoreRead() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("small.kru").path
        let result = try CLITests.kru("quantize", Self.lstm, "--to", "f16", "-o", output, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let tensors = try #require(report["tensors"] as? [[String: Any]])
        #expect(tensors.map { $0["name"] as? String } == ["input.embedding", "readout.weight"])  // the default
        #expect(tensors.allSatisfy { $0["from"] as? String == "f32" && $0["to"] as? String == "f16" })
        let size = try FileManager.default.attributesOfItem(atPath: output)[.size] as? Int
        #expect(report["bytes"] as? Int == size)

        let inspect = try CLITests.kru("inspect", output)
        #expect(inspect.status == 0)
        #expect(inspect.stdout.contains("kru.quantize.tensors") && inspect.stdout.contains("kru.quantize.from"))
        let rows = inspect.stdout.split(separator: "\n").filter {
            $0.hasPrefix("  readout.weight ") || $0.hasPrefix("  input.embedding ")
        }
        #expect(rows.count == 2 && rows.allSatisfy { $0.contains(" f16 ") && $0.hasSuffix("ok") })

        let text = folder.appendingPathComponent("text.txt")
        try "abcdefgabcabcgfedcba".write(to: text, atomically: true, encoding: .utf8)
        let score = try CLITests.kru("score", output, text.path, "--compare", Self.lstm, "--json")
        #expect(score.status == 0)
        let compared = try #require(try JSONSerialization.jsonObject(with: Data(score.stdout.utf8)) as? [String: Any])
        let kl = try #require((compared["compare"] as? [String: Any])?["mean_kl"] as? Double)
        #expect(kl > 0 && kl < 1e-3)  // rounding to f16 moves the predictions, but very little
    }

    @Test func errorsAreOneLineWithTheirStatusAndLeaveTheOutputAlone() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("out.kru").path
        let sentinel = Data("not overwritten".utf8)
        try sentinel.write(to: URL(fileURLWithPath: output))
        let cases: [([String], Int32, String)] = [
            (["--tensors", "embedding,redout", "--to", "f16"], 64, "unknown tensor \"redout\""),
            (["--tensors", "embedding,,readout", "--to", "f16"], 64, "comma-separated list"),
            (["--to", "f8"], 64, "f8"),
            (["--to", "int8"], 64, "int8"),
            (["--tensors", "layer.0.weight_hh.0.0.0", "--to", "f16"], 64, "no 16-bit complex type"),
            (["--tensors", "recurrent", "--to", "bf16"], 64, "no dense real recurrent matrix"),
        ]
        for (arguments, status, message) in cases {
            let result = try CLITests.kru(arguments: ["quantize", "Tests/Fixtures/models/kru_square3_modrelu.kru"]
                                          + arguments + ["-o", output])
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(message),
                    "\(arguments): \(result.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == sentinel)
        }
        let missing = try CLITests.kru("quantize", folder.appendingPathComponent("none.kru").path, "--to", "f16",
                                       "-o", output)
        #expect(missing.status == 66)
        let notAModel = try CLITests.kru("quantize", "spec/vectors/valid/all_dtypes.kru", "--to", "f16", "-o", output)
        #expect(notAModel.status == 65 && notAModel.stderr.contains("not a valid model"))
        let overItself = try CLITests.kru("quantize", Self.lstm, "--to", "f16", "-o", Self.lstm)
        #expect(overItself.status == 73 && overItself.stderr.contains("also an input"))
        let intoDirectory = try CLITests.kru("quantize", Self.lstm, "--to", "f16", "-o", folder.path)
        #expect(intoDirectory.status == 73)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == sentinel)
        // Only the written model is left: the atomic write's temporary file is gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.kru"])
    }
}
