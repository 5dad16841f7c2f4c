import Foundation
import Testing

/// A word_language_model checkpoint from the command line, as its users run it: converted with the data folder
/// as the vocabulary, then sampled and scored as words (Tests/Fixtures/scripts, made with real PyTorch).
struct WordModelCommandTests {
    static let scripts = "Tests/Fixtures/scripts"

    static func convert(_ model: String, into directory: URL) throws -> String {
        let output = directory.appendingPathComponent("\(model).kru").path
        let result = try CLITests.kru("convert", "\(scripts)/\(model).pt", "--factors", "none", "--vocab-corpus",
                                      "\(scripts)/wlm-corpus", "-o", output)
        #expect(result.status == 0, "\(result.stderr)")
        return output
    }

    @Test func aConvertedWordModelScoresAsPyTorchAndSamplesWords() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kru-words-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try Self.convert("wlm_rnn_relu", into: directory)

        let oracleData = try Data(contentsOf: CLITests.root.appendingPathComponent("\(Self.scripts)/wlm_rnn_relu.json"))
        let oracle = try #require(try JSONSerialization.jsonObject(with: oracleData) as? [String: Any])
        let test = "\(Self.scripts)/wlm-corpus/test.txt"
        let scored = try CLITests.kru("score", model, test, "--json")
        #expect(scored.status == 0, "\(scored.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any])
        #expect(report["tokens"] as? Int == oracle["score_predicted_tokens"] as? Int)
        let nll = try #require(report["mean_nll"] as? Double)
        let expected = try #require(oracle["score_mean_nll"] as? Double)
        #expect(abs(nll - expected) < 1e-4, "\(nll) vs PyTorch \(expected)")
        // Words predicted: every word of the text but the first (the text starts with one).
        let text = try String(contentsOf: CLITests.root.appendingPathComponent(test), encoding: .utf8)
        let words = text.split(whereSeparator: { $0.isWhitespace }).count - 1
        #expect(report["words"] as? Int == words)
        let perWord = try #require(report["perplexity_per_word"] as? Double)
        #expect(abs(log(perWord) - nll * Double(report["tokens"] as! Int) / Double(words)) < 1e-9)

        let sampled = try CLITests.kru("sample", model, "--prime", "the king", "--length", "25", "--seed", "4")
        #expect(sampled.status == 0, "\(sampled.stderr)")
        #expect(sampled.stdout.hasPrefix("the king "))
        let vocabulary = Set(try #require(oracle["vocabulary"] as? [String]))
        let generated = sampled.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        #expect(generated.count >= 10 && generated.allSatisfy(vocabulary.contains), "\(sampled.stdout)")
        let unknown = try CLITests.kru("sample", model, "--prime", "the queen", "--seed", "4")
        #expect(unknown.status == 65 && unknown.stderr.contains("words not in the model's vocabulary: \"queen\""))
    }

    @Test func withoutAVocabularyTheErrorSaysWhichOneTheScriptUsed() throws {
        let result = try CLITests.kru("convert", "\(Self.scripts)/charrnn_gru.pt", "-o", "/tmp/never-written.kru")
        #expect(result.status == 65)
        #expect(result.stderr.contains("give --vocab-preset printable"))
        let contradiction = try CLITests.kru("convert", "\(Self.scripts)/wlm_gru.pt", "--vocab-corpus", "x",
                                             "--tokenizer", "bytes", "-o", "/tmp/never-written.kru")
        #expect(contradiction.status == 64 && contradiction.stderr.contains("contradicts the vocabulary source"))
    }
}
