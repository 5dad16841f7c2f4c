import Foundation
import Testing

/// Model names and the models directory: `kru zoo` and `kru sample NAME` from any directory, `--models`,
/// `KRU_MODELS`, the zoo beside the executable, a path that exists winning over a zoo name, and the error that
/// lists where a name was looked for.
struct ModelLookupTests {
    static let fixture = CLITests.root.appendingPathComponent("Tests/Fixtures/models/torch_lstm_l2.kru")

    /// A fresh temporary directory, removed by the caller's `defer`.
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kru-lookup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.resolvingSymlinksInPath()
    }

    static func parameterTotal(_ arguments: [String], in directory: URL,
                               environment: [String: String?] = [:]) throws -> Int? {
        let result = try CLITests.kru(arguments: ["params", "--json"] + arguments, in: directory,
                                      environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (document?["model_file"] as? [String: Any])?["total"] as? Int
    }

    /// From a directory without models/, the zoo beside the executable (the checkout it was built in) is found:
    /// the same listing and the same sampled text as from the repository root.
    @Test func zooAndSampleWorkFromAnyDirectory() throws {
        let elsewhere = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let listing = try CLITests.kru(arguments: ["zoo", "--json"], in: elsewhere)
        #expect(listing.status == 0, "\(listing.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [String: Any])
        let manifest = try #require(document["manifest"] as? String)
        #expect(URL(fileURLWithPath: manifest).resolvingSymlinksInPath().path
                == CLITests.root.appendingPathComponent("models/zoo.json").resolvingSymlinksInPath().path)
        #expect(try ZooCommandTests.jsonModels(listing.stdout).count == (try ZooCommandTests.readmeIndex().count))

        let sample = ["sample", "--prime", "In the", "--length", "40", "--seed", "11"]
        let byName = try CLITests.kru(arguments: sample + ["kjv-lstm128"], in: elsewhere)
        let byPath = try CLITests.kru(arguments: sample + ["models/kjv-lstm128.kru"])
        #expect(byName.status == 0, "\(byName.stderr)")
        #expect(byName.stdout == byPath.stdout && byName.stdout.hasPrefix("In the"))
        // Every command that takes a model resolves names the same way.
        #expect(try Self.parameterTotal(["kjv-lstm128"], in: elsewhere) == 93_087)  // the card's count
        #expect(try CLITests.kru(arguments: ["inspect", "--no-verify", "kjv-kru512.kru"], in: elsewhere).status == 0)
    }

    /// A symbolic link to kru (as on PATH) finds the zoo of the checkout the real executable sits in.
    @Test func aLinkedExecutableFindsItsCheckoutsZoo() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let link = directory.appendingPathComponent("kru")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: CLITests.executable)
        let result = try CLITests.kru(arguments: ["zoo", "--task", "adding"], in: directory, executable: link)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("adding400-kru128"))
    }

    /// --models wins over KRU_MODELS, which wins over ./models and the zoo beside kru; neither needs a manifest to
    /// resolve a name, and `kru zoo` reads the manifest of the directory they name.
    @Test func flagThenEnvironmentChooseTheModelsDirectory() throws {
        let mine = try Self.temporaryDirectory(), other = try Self.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: mine)
            try? FileManager.default.removeItem(at: other)
        }
        try FileManager.default.copyItem(at: Self.fixture, to: mine.appendingPathComponent("tiny.kru"))
        let fixtureTotal = try Self.parameterTotal([Self.fixture.path], in: CLITests.root)
        #expect(fixtureTotal != nil && fixtureTotal != 93_087)

        #expect(try Self.parameterTotal(["tiny"], in: other, environment: ["KRU_MODELS": mine.path]) == fixtureTotal)
        #expect(try Self.parameterTotal(["tiny", "--models", mine.path], in: other) == fixtureTotal)
        let overridden = try CLITests.kru(arguments: ["params", "tiny", "--models", other.path], in: other,
                                          environment: ["KRU_MODELS": mine.path])
        #expect(overridden.status == 66)
        #expect(overridden.stderr.contains("\(other.path)/tiny.kru in the models directory (from --models)"))

        try ZooCommandTests.write(ZooCommandTests.manifest(), to: mine.appendingPathComponent("zoo.json"))
        let zoo = try CLITests.kru(arguments: ["zoo", "--json"], in: other, environment: ["KRU_MODELS": mine.path])
        #expect(try ZooCommandTests.jsonModels(zoo.stdout).map { $0["name"] as? String } == ["tiny"])
        // ./models with a manifest comes before the zoo beside kru.
        try FileManager.default.createSymbolicLink(at: other.appendingPathComponent("models"), withDestinationURL: mine)
        let local = try CLITests.kru(arguments: ["zoo", "--json"], in: other)
        #expect(try ZooCommandTests.jsonModels(local.stdout).map { $0["name"] as? String } == ["tiny"])
    }

    /// A path that exists wins over a zoo model of the same name; a name found nowhere names every place looked at.
    @Test func anExistingPathWinsAndAMissingNameSaysWhereItLooked() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: Self.fixture, to: directory.appendingPathComponent("kjv-lstm128"))
        let fixtureTotal = try Self.parameterTotal([Self.fixture.path], in: CLITests.root)
        #expect(try Self.parameterTotal(["kjv-lstm128"], in: directory) == fixtureTotal)

        let missing = try CLITests.kru(arguments: ["sample", "no-such-model"], in: directory)
        #expect(missing.status == 66)
        let zoo = CLITests.root.appendingPathComponent("models").resolvingSymlinksInPath().path
        #expect(missing.stderr.contains("no file no-such-model in the current directory"), "\(missing.stderr)")
        #expect(missing.stderr.contains("\(zoo)/no-such-model.kru in the models directory (from beside the kru "
                                        + "executable)"), "\(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count == 1)
        // A path (with a '/') is never looked up by name.
        let path = try CLITests.kru(arguments: ["sample", "./kjv-kru512"], in: directory)
        #expect(path.status == 66 && path.stderr.contains("cannot open ./kjv-kru512"))
    }

    /// A kru with no zoo near it, no ./models and no KRU_MODELS lists every manifest it looked for.
    @Test func noModelsDirectoryListsEveryPlaceLooked() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLITests.executable, to: bin.appendingPathComponent("kru"))
        let result = try CLITests.kru(arguments: ["score", "kjv-lstm128", "x.txt"], in: directory,
                                      executable: bin.appendingPathComponent("kru"))
        #expect(result.status == 66)
        for looked in ["models/zoo.json", "\(bin.path)/models/zoo.json", "\(directory.path)/share/kru/models/zoo.json",
                       "\(directory.path)/models/zoo.json"] {
            #expect(result.stderr.contains(looked), "\(looked) in \(result.stderr)")
        }
        #expect(result.stderr.contains("--models and KRU_MODELS are not set"))
    }
}
