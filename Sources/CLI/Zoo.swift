import ArgumentParser
import Crypto
import Foundation
import KRUFormat
import KRUInference

/// `kru zoo`: lists the models of the zoo from its manifest, without running them.
///
/// The manifest, `zoo.json`, is written partly by hand and partly by `tools/zoo_cards.py`, which records each
/// model's measured facts (file size and sha256, parameter counts, the test metrics). The command lists the models
/// as models/README.md's index does — by task, best headline first, the recommended model of each task and the
/// demonstration artefacts marked — and checks that every listed model file is present and still has the recorded
/// sha256; a file that differs is listed as `modified`, and the command then exits with status 1 after the table.
struct Zoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the models of the zoo: task, cell, parameters, test metric, size and card.",
        discussion: """
            Reads zoo.json in the models directory (--models, else $KRU_MODELS, else ./models if it holds \
            zoo.json, else the zoo beside the kru executable: see docs/CLI.md). tools/zoo_cards.py writes it, \
            measuring every number with kru params and kru score. The models are listed by task, best test metric \
            first; "(recommended)" marks the best model of each task that is not a demonstration artefact. Each \
            listed file is checked against the size and sha256 recorded there; the command exits with status 1 if \
            one is missing, modified or not yet measured.

            FILTER keeps the models whose name, task or cell summary contains it (ignoring case), or, if it holds \
            a wildcard (* ? [), whose name matches it as a glob: `kru zoo kjv`, `kru zoo 'copy*-kru*'`. --task, \
            --cell and --recurrence narrow further; the recommended marks stay those of the whole zoo.
            """
    )

    @Argument(help: "Keep the models whose name, task or summary contains this, or whose name matches this glob.")
    var filter: String?
    @Option(help: "Keep the models whose task contains this (ignoring case), e.g. copy, KJV, adding.")
    var task: String?
    @Option(help: "Keep the models with a layer of this cell kind.") var cell: ZooCellKind?
    @Option(help: "Keep the models with a layer whose recurrence is of this kind.") var recurrence: ZooRecurrence?
    @Option(name: [.customLong("models"), .customLong("dir")],
            help: ArgumentHelp("The models directory holding zoo.json, the model files and their cards (default: "
                               + "$KRU_MODELS, ./models or the zoo beside kru).", valueName: "dir"),
            completion: .directory)
    var models: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws { try ModelsDirectory.validate(flag: models) }

    func run() throws {
        let directory: String
        switch ModelsDirectory.locate(flag: models) {
        case .success(let found):
            if let problem = found.problem { throw CLIError(.noInput, problem) }
            directory = found.path
        case .failure(let notFound): throw CLIError(.noInput, notFound.message + " (see --models)")
        }
        let manifestPath = (directory as NSString).appendingPathComponent(ModelsDirectory.manifestName)
        var info = stat()
        // Opening a FIFO would wait for a writer forever, and a directory opens but cannot be read.
        if stat(manifestPath, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            throw CLIError(.noInput, "\(manifestPath) is \(fileTypeName(info.st_mode)), not a manifest file")
        }
        guard FileManager.default.isReadableFile(atPath: manifestPath) else {
            throw CLIError(.noInput,
                           "\(manifestPath): cannot read the manifest (is this a zoo directory? see --models)")
        }
        let manifest: ZooManifest
        do {
            manifest = try ZooManifest.load(path: manifestPath)
        } catch let error as ZooManifestError {
            throw CLIError(.dataError, "\(manifestPath): \(error.message)")
        }
        let recommended = manifest.recommended
        let rows = manifest.ranked.filter(matchesText).map {
            ZooRow(entry: $0, directory: directory, recommended: recommended.contains($0.name))
        }.filter(matchesLayers)
        if json {
            print(jsonString(["manifest": manifestPath, "models": rows.map(\.json)] as [String: Any]))
        } else if rows.isEmpty {
            print("no model of \(manifestPath) matches")
        } else {
            var table = [["name", "task", "cell", "parameters (recurrent / total)", "test metric", "size", "card",
                          "status"]]
            table += rows.map(\.cells)
            formatTable(table).forEach { print($0) }
        }
        let faulty = rows.filter { $0.status != .ok }
        if !faulty.isEmpty {
            let list = faulty.map { "\($0.entry.name) (\($0.status.rawValue))" }.joined(separator: ", ")
            throw CLIError(.checkFailed,
                           "\(faulty.count) of \(rows.count) models are not as \(manifestPath) records them: \(list)")
        }
    }

    /// FILTER and --task, on the manifest's text.
    private func matchesText(_ entry: ZooEntry) -> Bool {
        if let task, !entry.task.lowercased().contains(task.lowercased()) { return false }
        guard let filter else { return true }
        let pattern = filter.lowercased()
        if pattern.contains(where: { "*?[".contains($0) }) {
            return fnmatch(pattern, entry.name, 0) == 0  // names are lower case (ZooManifest.validate)
        }
        return [entry.name, entry.task, entry.summary].contains { $0.lowercased().contains(pattern) }
    }

    /// --cell and --recurrence, on the model file's layers. A file that cannot be read as a model stays listed,
    /// so its status shows why.
    private func matchesLayers(_ row: ZooRow) -> Bool {
        guard cell != nil || recurrence != nil, row.status == .ok || row.status == .noCard else { return true }
        guard let layers = try? KRUModel(path: row.path).description.layers else { return true }
        return layers.contains { layer in
            (cell.map { $0.matches(layer.cell) } ?? true) && (recurrence.map { $0.matches(layer.recurrent) } ?? true)
        }
    }
}

/// The cell kinds `kru zoo --cell` selects.
enum ZooCellKind: String, ExpressibleByArgument, CaseIterable {
    case kru, lstm, gru, rnn

    func matches(_ cell: ModelDescription.Cell) -> Bool {
        switch self {
        case .kru: cell == .kru
        case .lstm: cell == .lstm
        case .gru: cell == .gru
        case .rnn: cell == .rnnTanh || cell == .rnnReLU
        }
    }
}

/// The recurrence kinds `kru zoo --recurrence` selects.
enum ZooRecurrence: String, ExpressibleByArgument, CaseIterable {
    case dense, kronecker

    func matches(_ recurrent: ModelDescription.Recurrent) -> Bool {
        switch recurrent {
        case .dense: self == .dense
        case .kronecker: self == .kronecker
        }
    }
}

/// A model as `kru zoo` lists it: its manifest entry and the state of its file on disk.
struct ZooRow {
    /// How the file on disk compares with the manifest.
    enum Status: String {
        case ok, missing, modified
        case notMeasured = "not measured"
        case noCard = "no card"
    }

    let entry: ZooEntry
    let directory: String
    /// Whether this is the recommended model of its task.
    let recommended: Bool
    let status: Status
    /// The file's size on disk, if it is a regular file.
    let bytes: Int?

    init(entry: ZooEntry, directory: String, recommended: Bool) {
        self.entry = entry
        self.directory = directory
        self.recommended = recommended
        let path = (directory as NSString).appendingPathComponent(entry.file)
        let size = regularFileSize(path)
        bytes = size
        if size == nil {
            status = .missing
        } else if let measured = entry.measured {
            if measured.bytes != size || sha256Hex(ofFileAt: path) != measured.sha256 {
                status = .modified
            } else if regularFileSize((directory as NSString).appendingPathComponent(entry.card)) == nil {
                status = .noCard
            } else {
                status = .ok
            }
        } else {
            status = .notMeasured
        }
    }

    var path: String { (directory as NSString).appendingPathComponent(entry.file) }
    private var cardPath: String { (directory as NSString).appendingPathComponent(entry.card) }

    /// The name with its mark, as models/README.md's index shows it.
    private var label: String {
        entry.name + (recommended ? " (recommended)" : entry.demonstration == true ? " (demonstration)" : "")
    }

    /// The table row (manifest text with control characters replaced, so a hostile manifest cannot drive the
    /// terminal).
    var cells: [String] {
        let counts = entry.measured.map { "\(grouped($0.parameters.recurrent)) / \(grouped($0.parameters.total))" }
        return [label, terminalSafe(entry.task), terminalSafe(entry.summary), counts ?? "-",
                terminalSafe(entry.measured?.headline ?? "-"), bytes.map(sizeLabel) ?? "-", terminalSafe(cardPath),
                status.rawValue]
    }

    var json: [String: Any] {
        var object: [String: Any] = [
            "name": entry.name, "task": entry.task, "summary": entry.summary, "file": path, "card": cardPath,
            "status": status.rawValue, "recommended": recommended, "demonstration": entry.demonstration == true,
        ]
        if let bytes { object["bytes"] = bytes }
        if let measured = entry.measured {
            object["recorded"] = ["bytes": measured.bytes, "sha256": measured.sha256, "headline": measured.headline,
                                  "parameters": ["recurrent": measured.parameters.recurrent,
                                                 "total": measured.parameters.total]] as [String: Any]
        }
        return object
    }
}

/// A size as the zoo index shows it: "348.9 KB" below 1 MB, else "12.34 MB".
private func sizeLabel(_ bytes: Int) -> String {
    bytes < 1_000_000 ? String(format: "%.1f KB", Double(bytes) / 1e3) : String(format: "%.2f MB", Double(bytes) / 1e6)
}

/// The size of the regular file at `path` (symbolic links followed), or nil if there is none.
private func regularFileSize(_ path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int(info.st_size)
}

/// The SHA-256 of the file at `path` in lower-case hex, read in 1 MiB chunks, or nil if it cannot be read.
func sha256Hex(ofFileAt path: String) -> String? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    var hasher = SHA256()
    do {
        // `read(upToCount:)` returns nil or empty data at the end of the file.
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
    } catch {
        return nil
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
}
