import Foundation
import Logging

/// The models a server serves: every character model in its directory, each with its batch worker and, when the
/// directory is a zoo (has `zoo.json`), its card's summary and headline test metric.
final class ModelCatalog: Sendable {
    struct Entry: Sendable {
        let model: ServedModel
        let worker: BatchWorker
        let card: ZooCard?
        /// The model file's modification time, as Unix seconds (OpenAI's `created`).
        let created: Int
    }

    /// By model name, and the names in order.
    let entries: [String: Entry]
    let names: [String]

    /// Loads every `.kru` file of `directory`. Files that are not character models are skipped with a log line;
    /// a directory without any is an error.
    init(directory: String, limits: ServerLimits, metrics: ServerMetrics, logger: Logger) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CatalogError("the models directory \(directory) does not exist")
        }
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".kru") }.sorted()
        } catch {
            throw CatalogError("cannot list the models directory \(directory): \(error.localizedDescription)")
        }
        let cards = ZooCard.load(directory: directory, logger: logger)
        var served: [(file: String, model: ServedModel)] = []
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file)
            do {
                served.append((file, try ServedModel(name: String(file.dropLast(4)), path: path)))
            } catch {
                logger.info("not serving \(file): \(error)")
            }
        }
        guard !served.isEmpty else { throw CatalogError("no character model (.kru) in \(directory)") }
        // The prompt cache's budget is the server's: each model gets an equal share.
        var modelLimits = limits
        modelLimits.promptCacheBytes = limits.promptCacheBytes / served.count
        var entries: [String: Entry] = [:]
        for (file, model) in served {
            let attributes = try? FileManager.default.attributesOfItem(atPath: model.path)
            let modified = attributes?[.modificationDate] as? Date
            entries[model.name] = Entry(model: model,
                                        worker: BatchWorker(model: model, limits: modelLimits, metrics: metrics),
                                        card: cards[file], created: Int(modified?.timeIntervalSince1970 ?? 0))
        }
        self.entries = entries
        names = entries.keys.sorted()
        logger.info("serving \(names.count) models: \(names.joined(separator: ", "))")
    }

    /// The entry of `name`, or 404 listing what is served.
    func entry(_ name: String) throws -> Entry {
        guard let entry = entries[name] else {
            let list = names.count <= 20 ? names.joined(separator: ", ") : "\(names.count) models, see GET /v1/models"
            throw APIError(.notFound, "model \"\(name)\" is not served here; served: \(list)")
        }
        return entry
    }

    var workers: [BatchWorker] { names.map { entries[$0]!.worker } }
}

/// A models directory the server cannot use.
struct CatalogError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What a zoo's `zoo.json` says about one model (written by tools/zoo_cards.py from measurements).
struct ZooCard: Sendable {
    let task: String?
    let summary: String?
    let card: String?
    /// The headline test metric as the zoo index shows it, e.g. "2.0844 ± 0.0051 bits/char".
    let headline: String?

    /// The cards of `directory/zoo.json` by model file name; none if the file is absent or unreadable (logged).
    static func load(directory: String, logger: Logger) -> [String: ZooCard] {
        let path = (directory as NSString).appendingPathComponent("zoo.json")
        guard let handle = FileHandle(forReadingAtPath: path) else { return [:] }
        defer { try? handle.close() }
        let limit = 1 << 20
        guard let data = try? handle.read(upToCount: limit + 1), data.count <= limit,
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let models = root["models"] as? [[String: Any]]
        else {
            logger.warning("\(path) is not a readable zoo manifest; serving without card metrics")
            return [:]
        }
        var cards: [String: ZooCard] = [:]
        for model in models {
            guard let file = model["file"] as? String else { continue }
            let measured = model["measured"] as? [String: Any]
            cards[file] = ZooCard(task: model["task"] as? String, summary: model["summary"] as? String,
                                  card: model["card"] as? String, headline: measured?["headline"] as? String)
        }
        return cards
    }
}
