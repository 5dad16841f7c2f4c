import ArgumentParser
import Foundation
import KRUFormat

/// The models directory: where `kru zoo` reads the zoo and where a bare model name (`kru sample kjv-lstm512`) is
/// looked up, so both work from any directory. The first of these is the models directory, and the others are not
/// searched:
///
/// 1. `--models DIR`, given on the command line;
/// 2. the environment variable `KRU_MODELS`;
/// 3. `./models`, when it holds the zoo's manifest (`zoo.json`);
/// 4. next to the `kru` executable (symbolic links resolved): a `models` directory holding `zoo.json` in the
///    executable's directory or up to three directories above it — the checkout a `swift build` binary sits in
///    (`.build/<triple>/<configuration>/kru`) — or `../share/kru/models` for an installed `bin/kru`.
///
/// docs/CLI.md documents the lookup; keep the two in step.
struct ModelsDirectory {
    /// How the directory was found, as an error message names it.
    enum Origin: String {
        case flag = "--models"
        case environment = "KRU_MODELS"
        case workingDirectory = "./models"
        case executable = "beside the kru executable"
    }

    static let environmentVariable = "KRU_MODELS"
    /// The zoo's manifest, which marks an automatically found directory as a models directory.
    static let manifestName = "zoo.json"

    let path: String
    let origin: Origin

    /// The models directory, or the list of places looked at when none was found.
    static func locate(flag: String?) -> Result<ModelsDirectory, NotFound> {
        if let flag { return .success(ModelsDirectory(path: flag, origin: .flag)) }
        if let variable = ProcessInfo.processInfo.environment[environmentVariable], !variable.isEmpty {
            return .success(ModelsDirectory(path: variable, origin: .environment))
        }
        let candidates = [("models", Origin.workingDirectory)] + executableCandidates().map { ($0, .executable) }
        for (path, origin) in candidates where isRegularFile((path as NSString).appendingPathComponent(manifestName)) {
            return .success(ModelsDirectory(path: path, origin: origin))
        }
        return .failure(NotFound(looked: candidates.map { ($0.0 as NSString).appendingPathComponent(manifestName) }))
    }

    /// What is wrong with a directory that was given (by --models or KRU_MODELS) but is not one, so that the error
    /// says that rather than that a file inside it is missing; nil for a directory.
    var problem: String? {
        var info = stat()
        let named = "the models directory \(path) (from \(origin.rawValue))"
        guard stat(path, &info) == 0 else { return "\(named) does not exist" }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return "\(named) is \(fileTypeName(info.st_mode))" }
        return nil
    }

    /// An empty `--models` would silently mean the current directory; KRU_MODELS="" counts as unset instead, as
    /// an empty environment variable conventionally does.
    static func validate(flag: String?) throws {
        if flag?.isEmpty == true {
            throw ValidationError("--models needs a directory (leave it out for the default lookup)")
        }
    }

    /// No models directory: none was given, and no candidate holds a manifest.
    struct NotFound: Error {
        /// The manifests looked for, in order.
        let looked: [String]

        var message: String {
            "no models directory: --models and \(ModelsDirectory.environmentVariable) are not set, and none of "
                + looked.joined(separator: ", ") + " exists"
        }
    }

    /// `models` directories near the executable, nearest first.
    private static func executableCandidates() -> [String] {
        guard let executable = executablePath() else { return [] }
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        var candidates = [directory.appendingPathComponent("models").path,
                          directory.appendingPathComponent("../share/kru/models").standardizedFileURL.path]
        for _ in 0..<3 where directory.path != "/" {
            directory = directory.deletingLastPathComponent()
            candidates.append(directory.appendingPathComponent("models").path)
        }
        return candidates
    }

    /// The running executable with symbolic links resolved (a `kru` linked onto PATH finds its checkout).
    private static func executablePath() -> String? {
        #if os(Linux)
        // `CommandLine.arguments[0]` is whatever the shell was given (often just "kru"); the kernel knows the file.
        return try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        #else
        return Bundle.main.executableURL?.resolvingSymlinksInPath().path
        #endif
    }
}

/// `--models DIR` for the commands that take a model: where a bare model name is looked up.
struct ModelsOption: ParsableArguments {
    @Option(help: ArgumentHelp("Where bare model names are looked up (default: $KRU_MODELS, else ./models or the zoo "
                               + "beside kru; see docs/CLI.md).", valueName: "dir"),
            completion: .directory)
    var models: String?

    func validate() throws { try ModelsDirectory.validate(flag: models) }

    /// The file a model argument names (see ``resolveModel(_:modelsFlag:)``).
    func path(of argument: String) throws -> String { try resolveModel(argument, modelsFlag: models) }
}

/// The file that a model argument names. An argument that exists as given (a file or anything else) is that path —
/// a path that exists wins over a zoo model of the same name. An argument with a `/` is a path, existing or not.
/// Anything else is a model name: `NAME.kru` (or `NAME` if it already ends in `.kru`) in the models directory.
/// - Throws: a CLIError (status 66) naming every place looked at when the name is found nowhere.
func resolveModel(_ argument: String, modelsFlag: String?) throws -> String {
    var info = stat()
    guard lstat(argument, &info) != 0, !argument.contains("/"), !argument.isEmpty else { return argument }
    let file = argument.hasSuffix(".kru") ? argument : argument + ".kru"
    let here = "no file \(terminalSafe(argument)) in the current directory"
    switch ModelsDirectory.locate(flag: modelsFlag) {
    case .failure(let notFound):
        throw CLIError(.noInput, "\(here), and \(notFound.message) (give a path, --models or "
                       + "\(ModelsDirectory.environmentVariable))")
    case .success(let directory):
        if let problem = directory.problem { throw CLIError(.noInput, "\(here), and \(problem)") }
        let path = (directory.path as NSString).appendingPathComponent(file)
        guard lstat(path, &info) == 0 else {
            throw CLIError(.noInput, "\(here), nor \(terminalSafe(path)) in the models directory (from "
                           + "\(directory.origin.rawValue)); `kru zoo` lists its models")
        }
        return path
    }
}

/// Whether `path` is a regular file (symbolic links followed).
func isRegularFile(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
}
