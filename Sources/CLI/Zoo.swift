import ArgumentParser
import Foundation
import KRUConvert

/// `kru zoo`: lists the models of a zoo directory from its manifest, without running them.
///
/// The manifest, `zoo.json`, is written partly by hand and partly by `tools/zoo_cards.py`, which records each
/// model's measured facts (file size and sha256, parameter counts, the headline test metric). The command checks
/// that every model file is present and still has the recorded sha256; a file that differs is listed as
/// `modified`, and the command then exits with status 1 after printing the table.
struct Zoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the models of the zoo: task, cell, parameters, test metric, size and card.",
        discussion: """
            Reads DIR/zoo.json (written by tools/zoo_cards.py, which measures every number with kru params and \
            kru score) and checks each model file against the size and sha256 recorded there. Exits with status \
            1 if a file is missing, modified or not yet measured.
            """
    )

    @Option(help: "The zoo directory holding zoo.json, the model files and their cards.", completion: .directory)
    var dir = "models"
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let manifestPath = (dir as NSString).appendingPathComponent("zoo.json")
        let manifest: ZooManifest
        guard FileManager.default.isReadableFile(atPath: manifestPath) else {
            throw CLIError(.noInput, "\(manifestPath): cannot read the manifest (is this a zoo directory? see --dir)")
        }
        do {
            manifest = try ZooManifest.load(path: manifestPath)
        } catch let error as ZooManifestError {
            throw CLIError(.dataError, "\(manifestPath): \(error.message)")
        }
        let rows = manifest.models.map { ZooRow(entry: $0, directory: dir) }
        if json {
            print(jsonString(["manifest": manifestPath, "models": rows.map(\.json)] as [String: Any]))
        } else {
            var table = [["name", "task", "cell", "parameters (recurrent / total)", "test metric", "size", "card", "status"]]
            table += rows.map(\.cells)
            formatTable(table).forEach { print($0) }
        }
        let faulty = rows.filter { $0.status != .ok }
        if !faulty.isEmpty {
            let list = faulty.map { "\($0.entry.name) (\($0.status.rawValue))" }.joined(separator: ", ")
            throw CLIError(.checkFailed, "\(faulty.count) of \(rows.count) models are not as \(manifestPath) records them: \(list)")
        }
    }
}

/// A manifest that cannot be used: unreadable, too large, not JSON, or not the expected shape.
struct ZooManifestError: Error {
    /// One line, without the manifest's path.
    let message: String
}

/// The parts of `zoo.json` that `kru zoo` shows; other keys (the fetch and score commands) are for
/// `tools/zoo_cards.py` and are ignored.
struct ZooManifest: Decodable {
    /// The largest manifest `kru zoo` reads.
    static let sizeLimit = 1 << 20
    /// The most models a manifest may list.
    static let modelLimit = 10_000

    let models: [ZooEntry]

    /// Reads and validates the manifest at `path`, refusing files over ``sizeLimit`` bytes.
    static func load(path: String) throws -> ZooManifest {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ZooManifestError(message: "cannot read the manifest (is this a zoo directory? see --dir)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: sizeLimit + 1) ?? Data()
        } catch {
            throw ZooManifestError(message: "cannot read the manifest: \(oneLine(error.localizedDescription))")
        }
        guard data.count <= sizeLimit else { throw ZooManifestError(message: "larger than \(sizeLimit) bytes") }
        // Foundation's decoder would quietly keep one of two duplicate keys; the strict parser refuses them first.
        do {
            try StrictJSON.validate([UInt8](data))
        } catch {
            throw ZooManifestError(message: "not strict JSON: \(error)")
        }
        let manifest: ZooManifest
        do {
            manifest = try JSONDecoder().decode(ZooManifest.self, from: data)
        } catch let error as DecodingError {
            throw ZooManifestError(message: describe(error))
        }
        try manifest.validate()
        return manifest
    }

    /// Checks what the types alone do not: names, plain file names, hex digests, counts.
    func validate() throws {
        guard models.count <= Self.modelLimit else {
            throw ZooManifestError(message: "more than \(Self.modelLimit) models")
        }
        var names = Set<String>()
        for (index, entry) in models.enumerated() {
            let at = "models[\(index)]"
            guard isZooName(entry.name) else { throw ZooManifestError(message: "\(at).name: not a model name") }
            guard names.insert(entry.name).inserted else {
                throw ZooManifestError(message: "\(at).name: \(entry.name) is listed twice")
            }
            for (key, value) in [("file", entry.file), ("card", entry.card)] where !isPlainFileName(value) {
                throw ZooManifestError(message: "\(at).\(key): must be a plain file name in the zoo directory")
            }
            if let measured = entry.measured {
                guard measured.bytes >= 0, measured.parameters.recurrent >= 0,
                      measured.parameters.total >= measured.parameters.recurrent else {
                    throw ZooManifestError(message: "\(at).measured: negative or inconsistent counts")
                }
                guard measured.sha256.utf8.count == 64, measured.sha256.utf8.allSatisfy(isLowerHex) else {
                    throw ZooManifestError(message: "\(at).measured.sha256: not 64 lower-case hex digits")
                }
            }
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text.isEmpty ? "top level" : text
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)), found null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing"
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { ": " + oneLine("\($0)") } ?? ""
            return context.codingPath.isEmpty
                ? "not valid JSON\(underlying)" : "\(path(context.codingPath)): \(oneLine(context.debugDescription))"
        @unknown default:
            return "not a zoo manifest"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is [ZooEntry].Type: "an array of models"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

/// One model of the manifest.
struct ZooEntry: Decodable {
    let name: String
    let file: String
    let card: String
    let task: String
    let summary: String
    let measured: ZooMeasurement?
}

/// What `tools/zoo_cards.py` measured for a model.
struct ZooMeasurement: Decodable {
    /// Parameter counts from `kru params`.
    struct Counts: Decodable {
        let recurrent: Int
        let total: Int
    }

    let bytes: Int
    let sha256: String
    let parameters: Counts
    /// The headline test metric, formatted as in the cards (e.g. "2.0844 ± 0.0051 bits/char").
    let headline: String
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
    let status: Status
    /// The file's size on disk, if it is a regular file.
    let bytes: Int?

    init(entry: ZooEntry, directory: String) {
        self.entry = entry
        self.directory = directory
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

    private var cardPath: String { (directory as NSString).appendingPathComponent(entry.card) }

    /// The table row (manifest text with control characters replaced, so a hostile manifest cannot drive the terminal).
    var cells: [String] {
        let counts = entry.measured.map { "\(grouped($0.parameters.recurrent)) / \(grouped($0.parameters.total))" } ?? "-"
        return [entry.name, terminalSafe(entry.task), terminalSafe(entry.summary), counts,
                terminalSafe(entry.measured?.headline ?? "-"), bytes.map(sizeLabel) ?? "-", terminalSafe(cardPath),
                status.rawValue]
    }

    var json: [String: Any] {
        var object: [String: Any] = [
            "name": entry.name, "task": entry.task, "summary": entry.summary,
            "file": (directory as NSString).appendingPathComponent(entry.file), "card": cardPath,
            "status": status.rawValue,
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

/// Lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters.
private func isZooName(_ name: String) -> Bool {
    guard let first = name.utf8.first, name.utf8.count <= 64, isLowerHex(first) || (0x61...0x7a).contains(first) else {
        return false
    }
    return name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }
}

/// A file name without directories or a leading dot (so a manifest cannot point outside its directory).
private func isPlainFileName(_ name: String) -> Bool {
    guard let first = name.utf8.first, name.utf8.count <= 128, first != 0x2e, first != 0x2d else { return false }
    return name.utf8.allSatisfy {
        (0x61...0x7a).contains($0) || (0x41...0x5a).contains($0) || (0x30...0x39).contains($0)
            || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d
    }
}

private func isLowerHex(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) }

/// `text` with line breaks replaced by spaces.
private func oneLine(_ text: String) -> String {
    String(text.map { $0.isNewline ? " " : $0 })
}

/// 93087 -> "93,087".
private func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
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
            hasher.update(chunk)
        }
    } catch {
        return nil
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
}

/// SHA-256 (FIPS 180-4), enough for checking files against a manifest; Foundation on Linux has no CryptoKit.
struct SHA256 {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
    private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0

    /// Adds `data` to the message.
    mutating func update<D: Collection<UInt8>>(_ data: D) {
        length &+= UInt64(data.count)
        buffer.append(contentsOf: data)
        let whole = buffer.count / 64 * 64
        var offset = 0
        while offset < whole {
            compress(buffer, at: offset)
            offset += 64
        }
        buffer.removeFirst(whole)
    }

    /// The 32-byte digest of everything added.
    mutating func finalize() -> [UInt8] {
        let bits = length &* 8
        var tail: [UInt8] = [0x80] + [UInt8](repeating: 0, count: (119 - buffer.count % 64) % 64)
        tail += (0..<8).map { UInt8(truncatingIfNeeded: bits >> (56 - 8 * UInt64($0))) }
        buffer.append(contentsOf: tail)
        var offset = 0
        while offset < buffer.count {
            compress(buffer, at: offset)
            offset += 64
        }
        buffer = []
        return h.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (24 - 8 * UInt32($0))) } }
    }

    private mutating func compress(_ block: [UInt8], at offset: Int) {
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
        var w = [UInt32](repeating: 0, count: 64)
        for t in 0..<16 {
            let i = offset + 4 * t
            w[t] = UInt32(block[i]) << 24 | UInt32(block[i + 1]) << 16 | UInt32(block[i + 2]) << 8 | UInt32(block[i + 3])
        }
        for t in 16..<64 {
            let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
            let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
        for t in 0..<64 {
            let t1 = hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ Self.k[t] &+ w[t]
            let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
    }
}
