import Foundation
import KRUConvert
import Testing

/// `kru sample`, `score`, `params` and `run` on the fixture models, as a user runs them.
struct ModelCommandTests {
    static let lstm = "Tests/Fixtures/models/torch_lstm_l2.kru"  // vocabulary "abcdefg", real PyTorch weights
    static let kru = "Tests/Fixtures/models/kru_square3_modrelu.kru"

    @Test func sampleIsReproducibleFromItsSeedAndStreamsThePrimeFirst() throws {
        let first = try CLITests.kru("sample", Self.lstm, "--prime", "abc", "--length", "50", "--seed", "7")
        let second = try CLITests.kru("sample", Self.lstm, "--prime", "abc", "--length", "50", "--seed", "7")
        #expect(first.status == 0)
        #expect(first.stdout == second.stdout)
        #expect(first.stdout.hasPrefix("abc") && first.stdout.count == 54)  // prime + 50 + newline
        #expect(first.stderr.isEmpty)
        let other = try CLITests.kru("sample", Self.lstm, "--prime", "abc", "--length", "50", "--seed", "8")
        #expect(other.stdout != first.stdout)
    }

    /// The zoo's dense LSTM-512, whose 2048 × 512 gate product is large enough to share: the text and the score
    /// are the same with one thread and with two.
    @Test func threadsDoNotChangeWhatSampleAndScorePrint() throws {
        let model = "models/kjv-lstm512.kru"
        func sample(_ threads: String) throws -> String {
            let run = try CLITests.kru("sample", model, "--prime", "And", "--length", "300", "--seed", "5",
                                       "--threads", threads)
            #expect(run.status == 0)
            return run.stdout
        }
        let text = try sample("1")
        #expect(text.count > 300)
        #expect(try sample("2") == text)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kru-threads-\(UUID().uuidString)")
        try String(text.prefix(600)).write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        func bits(_ threads: String) throws -> String? {
            let run = try CLITests.kru("score", model, file.path, "--threads", threads, "--json")
            return run.stdout.split(separator: "\n").first { $0.contains("bits_per_char") }.map(String.init)
        }
        let one = try bits("1")
        #expect(one != nil)
        #expect(try bits("2") == one)
    }

    @Test func sampleWithoutSeedPrintsTheSeedItUsedAndThatSeedReproducesIt() throws {
        let drawn = try CLITests.kru("sample", Self.lstm, "--prime", "a", "--length", "30")
        let seed = try #require(drawn.stderr.split(separator: "\n").first { $0.hasPrefix("seed: ") }).dropFirst(6)
        let again = try CLITests.kru("sample", Self.lstm, "--prime", "a", "--length", "30", "--seed", String(seed))
        #expect(again.stdout == drawn.stdout)
    }

    @Test func unknownPrimeCharactersAreNamedOrSkipped() throws {
        let refused = try CLITests.kru("sample", Self.lstm, "--prime", "abz", "--length", "3")
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("\"z\""))
        let skipped = try CLITests.kru("sample", Self.lstm, "--prime", "abz", "--length", "3", "--seed", "1",
                                       "--skip-unknown")
        #expect(skipped.status == 0 && skipped.stdout.hasPrefix("ab"))
    }

    @Test func scoreReportsJSONWithItsComparison() throws {
        let text = FileManager.default.temporaryDirectory.appendingPathComponent("kru-score-\(UUID().uuidString).txt")
        try "abcdefgabcabcgfedcba".write(to: text, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: text) }
        let result = try CLITests.kru("score", Self.lstm, text.path, "--json", "--compare", Self.lstm)
        #expect(result.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["tokens"] as? Int == 19)
        let bits = try #require(document["bits_per_char"] as? Double)
        #expect(bits > 0 && bits < 10)
        let comparison = try #require(document["compare"] as? [String: Any])
        #expect(comparison["mean_kl"] as? Double == 0)
        #expect(comparison["top1_agreement"] as? Double == 1)
    }

    @Test func paramsReproducesThePapersPixelMNISTCount() throws {
        let result = try CLITests.kru("params", "--factors", "2x2x2x2x2x2x2x2x2", "--input", "1", "--output", "10",
                                      "--paper-terms", "--json")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let rows = try #require(document["rows"] as? [[String: Any]])
        #expect(rows.first?["model"] as? String == "KRU")
        #expect(rows.first?["total"] as? Int == 11346)  // the paper reports ≈11k (Jose et al. 2018, pixel MNIST)
        #expect(rows.first?["recurrent"] as? Int == 72)  // 9 complex 2×2 factors = 8·log2(512)
    }

    /// A model whose first layer is a real cell reports its own counts (also as JSON) and its layers; the counts
    /// agree with the tensor shapes `kru inspect` lists (ParamsCommandTests checks every part and layer).
    @Test func paramsOfADenseModelReportsItsOwnCounts() throws {
        let result = try CLITests.kru("params", Self.lstm, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let counts = try #require(document["model_file"] as? [String: Int])
        let inspect = try #require(try JSONSerialization.jsonObject(
            with: Data(try CLITests.kru("inspect", "--json", Self.lstm).stdout.utf8)) as? [String: Any])
        let tensors = try #require(inspect["tensors"] as? [[String: Any]])
        func elements(_ tensor: [String: Any]) -> Int { (tensor["shape"] as? [Int] ?? []).reduce(1, *) }
        #expect(counts["total"] == tensors.map(elements).reduce(0, +))
        #expect(counts["recurrent"]
            == tensors.filter { ($0["name"] as? String ?? "").contains("weight_hh") }.map(elements).reduce(0, +))
        let text = try CLITests.kru("params", Self.lstm)
        #expect(text.status == 0)
        #expect(text.stdout.split(separator: "\n").contains { $0.hasPrefix("1 ") && $0.contains(" lstm ") })
    }

    @Test func runWritesTheModelsLogitsForABatchOfSequences() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kru-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("ids.npy").path,
            output = directory.appendingPathComponent("y.npy").path
        try NumPyArray(shape: [2, 3], values: .integer([0, 1, 2, 6, 5, 4])).write(toPath: input)
        let result = try CLITests.kru("run", Self.kru, "--input", input, "--output", output)
        #expect(result.status == 0, "\(result.stderr)")
        let logits = try NumPyArray.read(path: output)
        #expect(logits.shape == [2, 3, 7])
        #expect(logits.dtype == .float32)

        try NumPyArray(shape: [2, 1], values: .integer([0, 9])).write(toPath: input)
        let bad = try CLITests.kru("run", Self.kru, "--input", input, "--output", output)
        #expect(bad.status == 65 && bad.stderr.contains("token id 9"))
    }
}

/// `kru convert` from the command line.
struct ConvertCommandTests {
    @Test func convertsARealCheckpointAndReportsErrorsAndParameters() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kru-convert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let vocab = directory.appendingPathComponent("vocab.json")
        try Data(#"["a","b","c","d","e","f","g"]"#.utf8).write(to: vocab)
        let output = directory.appendingPathComponent("gru.kru").path
        let result = try CLITests.kru("convert", "Tests/Fixtures/torch/gru_l2.lightning.ckpt", "--factors", "2:3x3:2",
                                      "--vocab", vocab.path, "-o", output, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let blocks = try #require(document["blocks"] as? [[String: Any]])
        #expect(blocks.count == 6)
        #expect(blocks.allSatisfy { ($0["relative_error"] as? Double).map { $0 > 0 && $0 < 1 } == true })
        let parameters = try #require(document["parameters"] as? [String: Int])
        #expect(parameters["converted_recurrent"] == 72 && parameters["dense_recurrent"] == 216)
        // The written file is a model the other commands accept.
        #expect(try CLITests.kru("inspect", output).status == 0)
        #expect(try CLITests.kru("sample", output, "--prime", "ab", "--length", "5", "--seed", "1").status == 0)
    }

    @Test func missingVocabularyIsExplained() throws {
        let result = try CLITests.kru("convert", "Tests/Fixtures/torch/lstm_l1.pt", "-o", "/tmp/never-written.kru")
        #expect(result.status == 65)
        #expect(result.stderr.contains("the checkpoint stores no vocabulary; give --vocab, --vocab-text, "
                                       + "--vocab-corpus or --vocab-preset"))
    }

    /// `--list` says what was recognised and why; when nothing is, it still lists the tensors and modules on
    /// standard output, then fails with the reason.
    @Test func listingSaysWhatWasRecognisedAndWhy() throws {
        let result = try CLITests.kru("convert", "Tests/Fixtures/scripts/wlm_rnn_relu.traced.pt", "--list")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("module rnn: torch.nn.modules.rnn.RNN (TorchScript) mode='RNN_RELU'"))
        #expect(result.stdout.contains("recognised: rnn_relu, 2 layer(s) of 12, 12 units with biases"))
        #expect(result.stdout.contains("embedding: encoder.weight, the weight of an nn.Embedding module"))
        #expect(result.stdout.contains("readout: decoder.weight, the only matrix of its shape besides the embedding; "
                                       + "the weight of an nn.Linear module"))
        let failed = try CLITests.kru("convert", "Tests/Fixtures/hostile/module_setstate_payload.pt", "--list")
        #expect(failed.status == 65)
        #expect(failed.stdout.contains("fc.weight"))
        #expect(failed.stdout.contains("module fc: torch.nn.modules.linear.Linear"))
        #expect(failed.stdout.contains("not recognised: no recurrent layer found"))
        #expect(failed.stderr.contains("no recurrent layer found"))
    }

    @Test func hostileCheckpointIsRefusedWithoutExecution() throws {
        let result = try CLITests.kru("convert", "Tests/Fixtures/hostile/reduce_os_system.pt", "--list")
        #expect(result.status == 65)
        #expect(result.stderr.contains("os.system"))
    }
}
