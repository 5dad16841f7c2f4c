import Foundation
import KRUInference

/// Where a converted model's vocabulary comes from. PyTorch checkpoints store only weights, so usually from the
/// user, in the form the training script used: a list of tokens, a text whose characters were sorted, the corpus a
/// word-level Dictionary was built from, or a well-known character set.
public enum VocabularySource {
    /// Character sets training scripts hard-code (`--vocab-preset`).
    public enum Preset: String, CaseIterable, Sendable {
        /// Python's `string.printable` (100 characters: digits, letters, punctuation, whitespace), the vocabulary of
        /// spro/char-rnn.pytorch.
        case printable
        /// The 256 bytes, in order, for byte-level models.
        case bytes

        public var vocabulary: Vocabulary {
            switch self {
            case .printable:
                let printable = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    + "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" + " \t\n\r\u{0B}\u{0C}"
                return Vocabulary(characters: Array(printable.unicodeScalars))
            case .bytes:
                return try! Vocabulary((0...255).map { String(Unicode.Scalar(UInt8($0))) }, tokenizer: .bytes)
            }
        }
    }

    /// A vocabulary file (`--vocab FILE`): a JSON array of strings, or else a text with one token per line (a line
    /// end is `\n` or `\r\n`; every line is a token, so a file cannot hold a token with a line end — use JSON).
    public static func file(_ path: String, tokenizer: TokenizerKind) throws -> Vocabulary {
        let data = try readSmallFile(path, limit: 64 << 20, what: "vocabulary")
        let tokens: [String]
        if let first = data.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }), first == UInt8(ascii: "[") {
            let checked = try strictJSON(data, what: "vocabulary", path: path)
            guard let array = try? JSONSerialization.jsonObject(with: checked) as? [String] else {
                throw ConversionError("\(path) is not a JSON array of strings")
            }
            tokens = array
        } else {
            guard let text = String(data: data, encoding: .utf8) else { throw ConversionError("\(path) is not UTF-8") }
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
            if lines.last == "" { lines.removeLast() }  // the end of the last line
            tokens = lines
        }
        return try checked(tokens, tokenizer: tokenizer, origin: path)
    }

    /// The distinct characters of a text, sorted by code point — the `sorted(set(text))` of character-level
    /// training scripts (`--vocab-text FILE`).
    public static func characters(of text: String) -> Vocabulary {
        Vocabulary(characters: Set(text.unicodeScalars).sorted { $0.value < $1.value })
    }

    /// The words of `texts` in order of first appearance, as pytorch/examples word_language_model's `Dictionary`
    /// numbers them while it reads train.txt, valid.txt and test.txt (`--vocab-corpus`).
    public static func words(ofCorpus texts: [String]) throws -> Vocabulary {
        var seen = Set<String>()
        var tokens: [String] = []
        for text in texts {
            for word in TextSplitting.words(text) where seen.insert(word).inserted { tokens.append(word) }
        }
        return try checked(tokens, tokenizer: .words, origin: "the corpus")
    }

    /// The files a `--vocab-corpus` argument names: a folder means its train.txt, valid.txt and test.txt, in
    /// that order (word_language_model's `Corpus(path)`); a file is itself.
    public static func corpusFiles(_ path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return [path]
        }
        return ["train.txt", "valid.txt", "test.txt"].map { (path as NSString).appendingPathComponent($0) }
    }

    /// A list of strings stored in the checkpoint under a conventional key (`vocab`, `chars`, `itos`,
    /// `vocabulary`, also inside `hyper_parameters`): characters if each is one, else words; or nil.
    public static func checkpoint(_ checkpoint: Checkpoint) -> Vocabulary? {
        let keys = ["vocab", "chars", "itos", "vocabulary"]
        func search(_ entries: [CheckpointMetadataEntry]) -> Vocabulary? {
            for entry in entries {
                if keys.contains(entry.key), case .list(let items) = entry.value {
                    let strings = items.compactMap { item -> String? in
                        if case .string(let s) = item { s } else { nil }
                    }
                    if strings.count == items.count, let found = (try? Vocabulary(strings, tokenizer: .characters))
                        ?? (try? Vocabulary(strings, tokenizer: .words)) {
                        return found
                    }
                }
                if case .dictionary(let inner) = entry.value, let found = search(inner) { return found }
            }
            return nil
        }
        return search(checkpoint.metadata)
    }

    /// What to give for the vocabulary of a model saved by a script kru knows, from the class of its root module.
    public static func hint(for checkpoint: Checkpoint) -> String? {
        switch checkpoint.module(at: "")?.type {
        case "model.CharRNN":
            "spro/char-rnn.pytorch's CharRNN reads Python's string.printable: give --vocab-preset printable"
        case "model.RNNModel":
            "pytorch/examples word_language_model numbers the words of its data folder: give --vocab-corpus DATA "
                + "(the folder with train.txt, valid.txt and test.txt)"
        default:
            nil
        }
    }

    private static func checked(_ tokens: [String], tokenizer: TokenizerKind, origin: String) throws -> Vocabulary {
        do {
            return try Vocabulary(tokens, tokenizer: tokenizer)
        } catch {
            throw ConversionError("\(origin): \(error)")
        }
    }
}
