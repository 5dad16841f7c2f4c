import Foundation

/// Text ↔ token ids for token models, by the model's vocabulary and tokenizer (spec/MODEL.md §4.2): one token per
/// Unicode scalar (`characters`), per word with `<eos>` at each line end (`words`), or per UTF-8 byte (`bytes`).
public struct Tokenizer: Sendable {
    /// What to do with text tokens the vocabulary lacks.
    public enum UnknownPolicy: Sendable {
        /// Throw ``UnknownCharactersError`` naming every unknown token.
        case refuse
        /// Drop them.
        case skip
    }

    public let vocabulary: Vocabulary
    private let ids: [String: Int]

    public init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        ids = Dictionary(uniqueKeysWithValues: vocabulary.tokens.enumerated().map { ($1, $0) })
    }

    /// A `characters` tokenizer over `vocabulary` (distinct scalars).
    public init(vocabulary: [Unicode.Scalar]) {
        self.init(vocabulary: Vocabulary(characters: vocabulary))
    }

    /// The text tokens of `text` before they are looked up: its scalars, its words (with `<eos>`) or its bytes.
    /// - Parameters:
    ///   - text: the text to cut.
    ///   - closingLastLine: for `words`, whether a last line without a line end gets its `<eos>` (a whole
    ///     text, as word_language_model reads a file) or stays open (a prime that generation continues).
    public func pieces(_ text: String, closingLastLine: Bool = true) -> [String] {
        switch vocabulary.tokenizer {
        case .characters: text.unicodeScalars.map { String($0) }
        case .words: TextSplitting.words(text, closingLastLine: closingLastLine)
        case .bytes: text.utf8.map { String(Unicode.Scalar($0)) }
        }
    }

    /// The token ids of `text` (see ``pieces(_:closingLastLine:)``).
    public func encode(_ text: String, unknown: UnknownPolicy = .refuse, closingLastLine: Bool = true) throws -> [Int] {
        var tokens: [Int] = []
        var missing: [String: Int] = [:]
        for piece in pieces(text, closingLastLine: closingLastLine) {
            if let id = ids[piece] {
                tokens.append(id)
            } else {
                missing[piece, default: 0] += 1
            }
        }
        if !missing.isEmpty && unknown == .refuse {
            let sorted = missing.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
            throw UnknownCharactersError(tokens: sorted.map { ($0.key, $0.value) }, unit: vocabulary.unitName)
        }
        return tokens
    }

    /// The text of `tokens`; `previous` is the token before them, if any (a word after a word gets its space).
    public func decode(_ tokens: [Int], previous: Int? = nil) -> String {
        var decoder = TextDecoder(vocabulary: vocabulary, previous: previous)
        return tokens.map { decoder.piece($0) }.joined() + decoder.finish()
    }
}

/// Text that holds tokens (characters, words or bytes) outside a model's vocabulary.
public struct UnknownCharactersError: Error, LocalizedError, CustomStringConvertible {
    /// Each unknown text token with how often it occurs.
    public let tokens: [(String, Int)]
    /// What a token is: "character", "word" or "byte".
    public let unit: String

    public var description: String {
        let list = tokens.prefix(20).map { token, count in
            let scalars = Array(token.unicodeScalars)
            let shown = token.unicodeScalars.map { $0.escaped(asASCII: true) }.joined().debugDescription
            let code = scalars.count == 1 ? "U+\(String(scalars[0].value, radix: 16, uppercase: true)), " : ""
            return "\(shown) (\(code)\(count)×)"
        }
        let more = tokens.count > 20 ? " and \(tokens.count - 20) more" : ""
        return "\(unit)s not in the model's vocabulary: " + list.joined(separator: ", ") + more
    }

    public var errorDescription: String? { description }
}

extension KRUModel {
    /// The tokenizer of a token model, nil for a vector model.
    public var tokenizer: Tokenizer? { description.vocabulary.map { Tokenizer(vocabulary: $0) } }
}
