import Foundation
import KRUConvert

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
                // The listing is sorted by it: a missing or non-finite headline would sort a model silently wrong.
                guard let value = entry.headlineValue, value.isFinite else {
                    throw ZooManifestError(message: "\(at).measured.test.\(entry.headline): missing or not a number")
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
            // The text is strict JSON by now (validated above), so what is corrupt is a value that does not fit its
            // field: Foundation reports 1.5 or 1e30 where an integer belongs as "not valid JSON", with no path.
            guard !context.codingPath.isEmpty else {
                return "a number does not fit its field (a fraction or an out-of-range value where an integer belongs)"
            }
            return "\(path(context.codingPath)): \(oneLine(context.debugDescription))"
        @unknown default:
            return "not a zoo manifest"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
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
    /// The key in `measured.test` of the metric the index shows (`bits_per_char`, `accuracy`, …).
    let headline: String
    /// True for artefacts that show a step (a converted model before fine-tuning), not models to use.
    let demonstration: Bool?
    let measured: ZooMeasurement?

    /// The headline metric's value, if measured.
    var headlineValue: Double? { measured?.test.values[headline] }
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
    /// The test-set metrics.
    let test: ZooTestMetrics
}

/// The numeric test-set metrics of a model, by name (`bits_per_char`, `mean_loss`, …); other values are ignored.
struct ZooTestMetrics: Decodable {
    let values: [String: Double]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: MetricName.self)
        var values: [String: Double] = [:]
        for key in container.allKeys {
            if let value = try? container.decode(Double.self, forKey: key) { values[key.stringValue] = value }
        }
        self.values = values
    }

    private struct MetricName: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension ZooManifest {
    /// Headline metrics where a higher value is better; every other headline is a loss. The same set as
    /// `HIGHER_IS_BETTER` in tools/zoo_cards.py, which orders models/README.md's index the same way.
    static let higherIsBetter: Set<String> = ["top1_accuracy", "accuracy"]

    /// The models grouped by task, in the order the manifest first names each task, best headline first (models
    /// not yet measured last, in manifest order): the order of models/README.md's index.
    var ranked: [ZooEntry] {
        var taskOrder: [String: Int] = [:]
        for entry in models where taskOrder[entry.task] == nil { taskOrder[entry.task] = taskOrder.count }
        func key(_ index: Int) -> (Int, Double, Int) {
            let entry = models[index]
            let value = entry.headlineValue.map { Self.higherIsBetter.contains(entry.headline) ? -$0 : $0 }
            return (taskOrder[entry.task]!, value ?? .infinity, index)
        }
        return models.indices.sorted { key($0) < key($1) }.map { models[$0] }
    }

    /// Per task, the name of the best measured model that is not a demonstration artefact.
    var recommended: Set<String> {
        var best: [String: String] = [:]
        for entry in ranked where entry.demonstration != true && entry.measured != nil {
            if best[entry.task] == nil { best[entry.task] = entry.name }
        }
        return Set(best.values)
    }
}

/// Lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters.
private func isZooName(_ name: String) -> Bool {
    guard let first = name.utf8.first, name.utf8.count <= 64, isLowerHex(first) || (0x61...0x7a).contains(first) else {
        return false
    }
    return name.utf8.allSatisfy {
        (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d
    }
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
