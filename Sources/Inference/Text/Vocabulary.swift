/// How a token model's text becomes tokens (spec/MODEL.md §4.2), as its file records in `kru.input.tokenizer`.
public enum TokenizerKind: String, Sendable, CaseIterable {
    /// One token per Unicode scalar (schema 1, and the default).
    case characters
    /// Words as pytorch/examples word_language_model reads a corpus: each line's whitespace-separated words, then
    /// `<eos>`.
    case words
    /// One token per UTF-8 byte; the entry U+00XX stands for byte 0xXX.
    case bytes
}

/// The tokens of a token model: token `i` is `tokens[i]`, and every entry follows its tokenizer's rule
/// (spec/MODEL.md §4.2, §6): non-empty and distinct; one Unicode scalar for `characters`; one scalar from U+0000
/// to U+00FF for `bytes`; no whitespace for `words`.
public struct Vocabulary: Equatable, Sendable {
    /// The token every line of a `words` text ends with, as word_language_model writes it.
    public static let endOfLine = "<eos>"

    public let tokens: [String]
    public let tokenizer: TokenizerKind

    /// Checks `tokens` against `tokenizer`'s rule.
    /// - Throws: ``VocabularyError`` naming the first entry at fault.
    public init(_ tokens: [String], tokenizer: TokenizerKind) throws(VocabularyError) {
        guard !tokens.isEmpty else { throw VocabularyError("the vocabulary is empty") }
        var seen = Set<String>()
        for (i, token) in tokens.enumerated() {
            let scalars = token.unicodeScalars
            let shown = "entry \(i) \(token.debugDescription)"
            guard !token.isEmpty else { throw VocabularyError("entry \(i) is empty") }
            switch tokenizer {
            case .characters:
                guard scalars.count == 1 else { throw VocabularyError("\(shown) is not exactly one Unicode scalar") }
            case .bytes:
                guard scalars.count == 1, scalars.first!.value <= 0xFF else {
                    throw VocabularyError("\(shown) is not one scalar from U+0000 to U+00FF (a byte)")
                }
            case .words:
                guard !scalars.contains(where: TextSplitting.isWhitespace) else {
                    throw VocabularyError("\(shown) holds whitespace, so no text can give it as a word")
                }
            }
            guard seen.insert(token).inserted else { throw VocabularyError("\(shown) occurs twice") }
        }
        self.tokens = tokens
        self.tokenizer = tokenizer
    }

    /// A `characters` vocabulary of the given scalars (distinct, as a caller that builds one from a text has them).
    public init(characters: [Unicode.Scalar]) {
        precondition(Set(characters).count == characters.count, "a character vocabulary has distinct scalars")
        tokens = characters.map { String($0) }
        tokenizer = .characters
    }

    /// The number of tokens.
    public var count: Int { tokens.count }

    /// Token `id`'s entry.
    public subscript(id: Int) -> String { tokens[id] }

    /// The scalars of a `characters` vocabulary (what schema 1 called the vocabulary), nil for other tokenizers.
    public var characters: [Unicode.Scalar]? {
        tokenizer == .characters ? tokens.map { $0.unicodeScalars.first! } : nil
    }

    /// What one token is called in messages: "character", "word" or "byte".
    public var unitName: String {
        switch tokenizer {
        case .characters: "character"
        case .words: "word"
        case .bytes: "byte"
        }
    }
}

/// A vocabulary that breaks its tokenizer's rule.
public struct VocabularyError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
