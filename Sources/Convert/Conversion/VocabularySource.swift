import Foundation

/// Where a converted character model's vocabulary comes from (PyTorch checkpoints store only weights, so
/// usually from the user).
public enum VocabularySource {
    /// The vocabulary from a JSON file if given, else from a text, else from the checkpoint.
    public static func resolve(jsonFile: String?, textFile: String?, checkpoint: Checkpoint) throws -> [Unicode.Scalar] {
        if let jsonFile { return try self.jsonFile(jsonFile) }
        if let textFile { return try self.textFile(textFile) }
        if let stored = self.checkpoint(checkpoint) { return stored }
        throw ConversionError("the checkpoint stores no vocabulary; give --vocab FILE or --vocab-text FILE")
    }

    /// A JSON array of one-character strings: token `i` is element `i` (`--vocab FILE`).
    public static func jsonFile(_ path: String) throws -> [Unicode.Scalar] {
        let data = try strictJSON(readSmallFile(path, limit: 16 << 20, what: "vocabulary"), what: "vocabulary", path: path)
        guard let array = try? JSONSerialization.jsonObject(with: data) as? [String] else {
            throw ConversionError("\(path) is not a JSON array of strings")
        }
        return try scalars(array, origin: path)
    }

    /// The distinct characters of a text, sorted by code point — the usual `sorted(set(text))` of
    /// character-level training scripts (`--vocab-text FILE`).
    public static func textFile(_ path: String) throws -> [Unicode.Scalar] {
        let data = try readSmallFile(path, limit: 1 << 30, what: "vocabulary text")
        guard let text = String(data: data, encoding: .utf8) else { throw ConversionError("\(path) is not UTF-8") }
        return characters(of: text)
    }

    /// The distinct characters of `text`, sorted by code point (`sorted(set(text))`).
    public static func characters(of text: String) -> [Unicode.Scalar] {
        Set(text.unicodeScalars).sorted { $0.value < $1.value }
    }

    /// A list of one-character strings stored in the checkpoint under a conventional key (`vocab`, `chars`,
    /// `itos`, `vocabulary`, also inside `hyper_parameters`), or nil.
    public static func checkpoint(_ checkpoint: Checkpoint) -> [Unicode.Scalar]? {
        let keys = ["vocab", "chars", "itos", "vocabulary"]
        func search(_ entries: [CheckpointMetadataEntry]) -> [Unicode.Scalar]? {
            for entry in entries {
                if keys.contains(entry.key), case .list(let items) = entry.value {
                    let strings = items.compactMap { item -> String? in if case .string(let s) = item { s } else { nil } }
                    if strings.count == items.count, let found = try? scalars(strings, origin: entry.key) { return found }
                }
                if case .dictionary(let inner) = entry.value, let found = search(inner) { return found }
            }
            return nil
        }
        return search(checkpoint.metadata)
    }

    private static func scalars(_ strings: [String], origin: String) throws -> [Unicode.Scalar] {
        try strings.enumerated().map { i, s in
            let scalars = Array(s.unicodeScalars)
            guard scalars.count == 1 else { throw ConversionError("\(origin): entry \(i) \(s.debugDescription) is not one character") }
            return scalars[0]
        }
    }
}
