import Foundation
import Testing

/// `kru zoo`: the real zoo, crafted manifests, missing and modified files, hostile manifests.
struct ZooCommandTests {
    /// A temporary zoo directory, removed by the caller's `defer`.
    static func temporaryZoo() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kru-zoo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// A manifest with one model `tiny` whose file holds "abc" (SHA-256 from FIPS 180-2, appendix B.1).
    static let abcSHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    static func manifest(sha256: String = abcSHA256, bytes: Int = 3, extra: String = "") -> String {
        """
        {"models": [{"name": "tiny", "file": "tiny.kru", "card": "tiny.md", "task": "test task",
          "summary": "a crafted entry", "fetch": "true", "score": ["x.txt"], "headline": "bits_per_char"\(extra),
          "measured": {"bytes": \(bytes), "sha256": "\(sha256)", "architecture": "none",
                       "parameters": {"recurrent": 12, "total": 3456, "embedding": 0},
                       "headline": "1.2345 ± 0.0100 bits/char", "test": {"kind": "text", "bits_per_char": 1.2345}}}]}
        """
    }

    static func write(_ text: String, to url: URL) throws { try Data(text.utf8).write(to: url) }

    @Test func listsTheRealZooWithEveryFileIntact() throws {
        let result = try CLITests.kru("zoo")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("name ") == true)
        let lstm = try #require(lines.first { $0.hasPrefix("kjv-lstm128 ") })
        #expect(lstm.contains("65,536 / 93,087") && lstm.contains("bits/char")
                && lstm.contains("models/kjv-lstm128.md"))
        #expect(lstm.hasSuffix("  ok"))
        #expect(lines.contains { $0.hasPrefix("kjv-kru512 ") && $0.contains("72 / 100,967") && $0.hasSuffix("  ok") })
    }

    /// The index of models/README.md, which tools/zoo_cards.py writes from the manifest: (name, mark) per row, in
    /// its order (by task, best headline first).
    static func readmeIndex() throws -> [(name: String, mark: String)] {
        let readme = try String(contentsOf: CLITests.root.appendingPathComponent("models/README.md"), encoding: .utf8)
        return readme.split(separator: "\n").filter { $0.hasPrefix("| `") || $0.hasPrefix("| **`") }.map { row in
            let cell = row.split(separator: "|")[0]
            let name = cell.split(separator: "`")[1].replacingOccurrences(of: ".kru", with: "")
            let mark = cell.contains("(recommended)") ? "recommended"
                : cell.contains("(demonstration)") ? "demonstration" : ""
            return (name, mark)
        }
    }

    static func jsonModels(_ output: String) throws -> [[String: Any]] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        return try #require(document["models"] as? [[String: Any]])
    }

    /// The order and the marks agree with models/README.md's index (written by the Python script, an independent
    /// implementation of the ranking); sizes and sha256 with the manifest (measured by Python's hashlib).
    @Test func realZooAsJSONFollowsTheIndexAndTheManifest() throws {
        let result = try CLITests.kru("zoo", "--models", "models", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let models = try Self.jsonModels(result.stdout)
        let index = try Self.readmeIndex()
        #expect(models.map { $0["name"] as? String } == index.map(\.name))
        for (model, row) in zip(models, index) {
            let mark = model["recommended"] as? Bool == true ? "recommended"
                : model["demonstration"] as? Bool == true ? "demonstration" : ""
            #expect(mark == row.mark, "\(row.name)")
        }
        let manifestData = try Data(contentsOf: CLITests.root.appendingPathComponent("models/zoo.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])
        let entries = try #require(manifest["models"] as? [[String: Any]])
        #expect(models.count == entries.count)
        for entry in entries {
            let model = try #require(models.first { $0["name"] as? String == entry["name"] as? String })
            #expect(model["status"] as? String == "ok")
            let recorded = try #require(model["recorded"] as? [String: Any])
            let measured = try #require(entry["measured"] as? [String: Any])
            #expect(recorded["sha256"] as? String == measured["sha256"] as? String)
            #expect(recorded["headline"] as? String == measured["headline"] as? String)
            #expect(model["bytes"] as? Int == measured["bytes"] as? Int)
        }
    }

    /// FILTER (substring of name, task or summary; a glob on the name), --task, --cell and --recurrence, each
    /// checked against the manifest's own text or the zoo's naming, in the index's order.
    @Test func filtersKeepTheMatchingModelsInTheIndexOrder() throws {
        let manifestData = try Data(contentsOf: CLITests.root.appendingPathComponent("models/zoo.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])
        let entries = try #require(manifest["models"] as? [[String: Any]])
        func text(_ name: String, _ key: String) -> String {
            entries.first { $0["name"] as? String == name }?[key] as? String ?? ""
        }
        let order = try Self.readmeIndex().map(\.name)
        func names(_ arguments: String...) throws -> [String] {
            let result = try CLITests.kru(arguments: ["zoo", "--json"] + arguments)
            #expect(result.status == 0, "\(result.stderr)")
            return try Self.jsonModels(result.stdout).compactMap { $0["name"] as? String }
        }
        let kjv = order.filter { name in ["name", "task", "summary"].contains { key in
            (key == "name" ? name : text(name, key)).lowercased().contains("kjv") } }
        #expect(kjv.count >= 10)
        #expect(try names("KJV") == kjv)
        #expect(try names("copy*-kru*") == order.filter { $0.hasPrefix("copy") && $0.contains("-kru") })
        #expect(try names("--task", "adding") == order.filter { text($0, "task").hasPrefix("adding") })
        let gru = order.filter { $0.contains("gru") }
        #expect(!gru.isEmpty)
        #expect(try names("--cell", "gru") == gru)
        // The zoo's Kronecker-gated LSTMs are those whose summary shows a ⊗ and an LSTM.
        let kroneckerLSTMs = order.filter { text($0, "summary").contains("⊗") && text($0, "summary").contains("LSTM") }
        #expect(kroneckerLSTMs.count >= 5)
        #expect(try names("--cell", "lstm", "--recurrence", "kronecker") == kroneckerLSTMs)
        let denseCopy = Set(["copy1000-gru128", "copy1000-lstm128", "copy1000-rnn128"])
        #expect(try names("--recurrence", "dense", "--task", "copy memory, T = 1000")
                == order.filter(denseCopy.contains))

        let none = try CLITests.kru("zoo", "no-such-model")
        #expect(none.status == 0 && none.stdout.hasPrefix("no model of models/zoo.json matches"))
        let bad = try CLITests.kru("zoo", "--cell", "transformer")
        #expect(bad.status == 64 && bad.stderr.contains("transformer"))
    }

    @Test func craftedManifestTableAndJSON() throws {
        let directory = try Self.temporaryZoo()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.write(Self.manifest(), to: directory.appendingPathComponent("zoo.json"))
        try Self.write("abc", to: directory.appendingPathComponent("tiny.kru"))
        try Self.write("# tiny\n", to: directory.appendingPathComponent("tiny.md"))

        let table = try CLITests.kru("zoo", "--dir", directory.path)
        #expect(table.status == 0, "\(table.stderr)")
        let row = try #require(table.stdout.split(separator: "\n").last)
        #expect(row.hasPrefix("tiny (recommended)  test task  a crafted entry  12 / 3,456"))
        #expect(row.contains("1.2345 ± 0.0100 bits/char  0.0 KB  \(directory.path)/tiny.md  ok"))

        let json = try CLITests.kru("zoo", "--dir", directory.path, "--json")
        #expect(json.status == 0, "\(json.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let model = try #require((document["models"] as? [[String: Any]])?.first)
        #expect(model["status"] as? String == "ok")
        #expect(model["bytes"] as? Int == 3)
        #expect((model["recorded"] as? [String: Any])?["sha256"] as? String == Self.abcSHA256)
    }

    @Test func missingAndModifiedFilesAreFlaggedAndFail() throws {
        let directory = try Self.temporaryZoo()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.write(Self.manifest(), to: directory.appendingPathComponent("zoo.json"))
        try Self.write("# tiny\n", to: directory.appendingPathComponent("tiny.md"))

        let missing = try CLITests.kru("zoo", "--dir", directory.path)
        #expect(missing.status == 1)
        #expect(missing.stdout.split(separator: "\n").last?.hasSuffix("  missing") == true)
        #expect(missing.stderr.hasPrefix("kru: error: ") && missing.stderr.contains("tiny (missing)"))
        #expect(missing.stderr.split(separator: "\n").count == 1)

        // Same size, different bytes: only the sha256 tells.
        try Self.write("abd", to: directory.appendingPathComponent("tiny.kru"))
        let modified = try CLITests.kru("zoo", "--dir", directory.path, "--json")
        #expect(modified.status == 1)
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(modified.stdout.utf8)) as? [String: Any])
        #expect((document["models"] as? [[String: Any]])?.first?["status"] as? String == "modified")
        #expect(modified.stderr.contains("tiny (modified)"))

        // A directory where the file should be is not a model file.
        try FileManager.default.removeItem(at: directory.appendingPathComponent("tiny.kru"))
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tiny.kru"),
                                                withIntermediateDirectories: false)
        #expect(try CLITests.kru("zoo", "--dir", directory.path).stdout.contains("  missing"))
    }

    @Test(arguments: [
        ("", "not strict JSON: byte 0: unexpected end"),
        ("{\"models\": [", "not strict JSON: byte 12: unexpected end"),
        ("{\"models\": [], \"models\": [{}]}", "not strict JSON: byte 15: duplicate key 'models'"),
        (ZooCommandTests.manifest().replacingOccurrences(of: "\"name\": \"tiny\"",
                                                         with: "\"name\": \"tiny\", \"name\": \"other\""),
         "duplicate key 'name'"),
        ("[]", "expected an object"),
        ("{}", "models: missing"),
        ("{\"models\": {}}", "models: expected an array"),
        ("{\"models\": [{\"name\": 1}]}", "models[0].name: expected a string"),
        (ZooCommandTests.manifest(extra: "").replacingOccurrences(of: "\"tiny.kru\"", with: "\"../../etc/passwd\""),
         "models[0].file: must be a plain file name"),
        (ZooCommandTests.manifest().replacingOccurrences(of: "\"tiny\"", with: "\"Tiny Model\""),
         "models[0].name: not a model name"),
        (ZooCommandTests.manifest(sha256: "xyz"), "models[0].measured.sha256: not 64 lower-case hex digits"),
        (ZooCommandTests.manifest(bytes: -1), "models[0].measured: negative or inconsistent counts"),
        (ZooCommandTests.manifest().replacingOccurrences(of: "\"bits_per_char\": 1.2345", with: "\"perplexity\": 3"),
         "models[0].measured.test.bits_per_char: missing or not a number"),
        (ZooCommandTests.manifest().replacingOccurrences(of: "\"recurrent\": 12", with: "\"recurrent\": true"),
         "models[0].measured.parameters.recurrent: expected an integer"),
        (ZooCommandTests.manifest(extra: ", \"demonstration\": \"yes\""),
         "models[0].demonstration: expected true or false"),
        (ZooCommandTests.manifest().replacingOccurrences(of: "\"bytes\": 3", with: "\"bytes\": 1e30"),
         "a number does not fit its field"),
        (ZooCommandTests.manifest().replacingOccurrences(of: "\"bytes\": 3", with: "\"bytes\": 3.5"),
         "a number does not fit its field"),
        (String(repeating: "[", count: 5_000), "not strict JSON: byte 64: nested deeper than 64 levels"),
    ])
    func malformedManifestsGiveOneLineErrors(text: String, message: String) throws {
        let directory = try Self.temporaryZoo()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.write(text, to: directory.appendingPathComponent("zoo.json"))
        let result = try CLITests.kru("zoo", "--dir", directory.path)
        #expect(result.status == 65)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("kru: error: \(directory.path)/zoo.json: "), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func oversizedOrAbsentManifestsAreRefused() throws {
        let directory = try Self.temporaryZoo()
        defer { try? FileManager.default.removeItem(at: directory) }
        let absent = try CLITests.kru("zoo", "--dir", directory.path)
        #expect(absent.status == 66 && absent.stderr.contains("cannot read the manifest"))

        let padding = String(repeating: " ", count: (1 << 20) + 1)
        try Self.write(Self.manifest() + padding, to: directory.appendingPathComponent("zoo.json"))
        let large = try CLITests.kru("zoo", "--dir", directory.path)
        #expect(large.status == 65 && large.stderr.contains("larger than 1048576 bytes"))
    }

    /// A manifest that is a directory or a FIFO (which would block the open forever), and a models directory that
    /// is not a directory or was given empty, are each named for what they are.
    @Test func aManifestOrDirectoryOfTheWrongKindIsNamed() throws {
        let directory = try Self.temporaryZoo()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = directory.appendingPathComponent("zoo.json")
        try FileManager.default.createDirectory(at: manifest, withIntermediateDirectories: false)
        let folder = try CLITests.kru("zoo", "--models", directory.path)
        #expect(folder.status == 66 && folder.stderr.contains("zoo.json is a directory, not a manifest file"),
                "\(folder.stderr)")
        try FileManager.default.removeItem(at: manifest)
        #expect(mkfifo(manifest.path, 0o600) == 0)
        let fifo = try CLITests.kru("zoo", "--models", directory.path)
        #expect(fifo.status == 66 && fifo.stderr.contains("zoo.json is a FIFO (named pipe), not a manifest file"),
                "\(fifo.stderr)")

        let file = directory.appendingPathComponent("file")
        try Self.write("x", to: file)
        let notADirectory = try CLITests.kru("zoo", "--models", file.path)
        #expect(notADirectory.status == 66, "\(notADirectory.stderr)")
        #expect(notADirectory.stderr.contains("the models directory \(file.path) (from --models) is a regular file"))
        let absent = try CLITests.kru(arguments: ["zoo"], environment: ["KRU_MODELS": file.path + "-none"])
        #expect(absent.status == 66 && absent.stderr.contains("(from KRU_MODELS) does not exist"), "\(absent.stderr)")
        let byName = try CLITests.kru("params", "tiny", "--models", file.path)
        #expect(byName.status == 66, "\(byName.stderr)")
        #expect(byName.stderr.contains("no file tiny in the current directory, and the models directory \(file.path) "
                                       + "(from --models) is a regular file"), "\(byName.stderr)")
        for command in ["zoo", "params"] {
            let empty = try CLITests.kru(command, "--models", "")
            #expect(empty.status == 64 && empty.stderr.contains("--models needs a directory"), "\(empty.stderr)")
        }
    }

    @Test func controlCharactersInTheManifestDoNotReachTheTerminal() throws {
        let directory = try Self.temporaryZoo()
        defer { try? FileManager.default.removeItem(at: directory) }
        let hostile = Self.manifest().replacingOccurrences(of: "test task", with: "evil\\u001b[2Jtask\\nnext")
        try Self.write(hostile, to: directory.appendingPathComponent("zoo.json"))
        try Self.write("abc", to: directory.appendingPathComponent("tiny.kru"))
        try Self.write("# tiny\n", to: directory.appendingPathComponent("tiny.md"))
        let result = try CLITests.kru("zoo", "--dir", directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("\u{1b}"))
        #expect(result.stdout.contains("evil\\u{1b}[2Jtask\\nnext"))
    }
}
