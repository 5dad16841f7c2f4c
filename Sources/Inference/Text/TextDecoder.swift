/// Turns token ids into text one token at a time, so that generated text can be printed as it is produced
/// (spec/MODEL.md §4.2): a character is itself; a word is preceded by a space unless it starts the text or follows
/// `<eos>`, which is a line end; a byte is held back while it is an incomplete UTF-8 sequence, and an ill-formed
/// sequence becomes U+FFFD.
///
/// ```swift
/// var decoder = TextDecoder(vocabulary: model.description.vocabulary!, previous: prime.last)
/// for token in generated { print(decoder.piece(token), terminator: "") }
/// print(decoder.finish())
/// ```
public struct TextDecoder: Sendable {
    public let vocabulary: Vocabulary
    /// The token before the next one (for a word's space), nil at the start of a text.
    private var previous: Int?
    /// Bytes of a `bytes` model that may still become a character.
    private var pendingBytes: [UInt8] = []

    /// - Parameters:
    ///   - vocabulary: the model's vocabulary, whose tokenizer says how tokens are written.
    ///   - previous: the token before the first one decoded (a prime's last token), if any.
    public init(vocabulary: Vocabulary, previous: Int? = nil) {
        self.vocabulary = vocabulary
        self.previous = previous
    }

    /// The text token `id` adds.
    public mutating func piece(_ id: Int) -> String {
        let entry = vocabulary[id]
        defer { previous = id }
        switch vocabulary.tokenizer {
        case .characters:
            return entry
        case .words:
            if entry == Vocabulary.endOfLine { return "\n" }
            let separated = previous.map { vocabulary[$0] != Vocabulary.endOfLine } ?? false
            return separated ? " " + entry : entry
        case .bytes:
            pendingBytes.append(UInt8(entry.unicodeScalars.first!.value))
            let held = Self.incompleteSuffix(pendingBytes)
            let ready = pendingBytes[..<(pendingBytes.count - held)]
            defer { pendingBytes.removeFirst(ready.count) }
            return String(decoding: ready, as: UTF8.self)
        }
    }

    /// What is still held back (an incomplete UTF-8 sequence at the end of a `bytes` text, as U+FFFD).
    public mutating func finish() -> String {
        defer { pendingBytes = [] }
        return String(decoding: pendingBytes, as: UTF8.self)
    }

    /// How many bytes at the end of `bytes` are the start of a well-formed UTF-8 sequence that is not complete yet.
    static func incompleteSuffix(_ bytes: [UInt8]) -> Int {
        for back in 1...min(3, bytes.count) {
            let lead = bytes[bytes.count - back]
            let needed: Int
            switch lead {
            case 0xC2...0xDF: needed = 2
            case 0xE0...0xEF: needed = 3
            case 0xF0...0xF4: needed = 4
            case 0x80...0xBF: continue  // a continuation byte: look further back
            default: return 0
            }
            guard back < needed else { return 0 }
            let rest = bytes[(bytes.count - back + 1)...]
            // The second byte's range depends on the lead (no overlong forms, surrogates or values past U+10FFFF).
            if let second = rest.first {
                let range: ClosedRange<UInt8> = switch lead {
                case 0xE0: 0xA0...0xBF
                case 0xED: 0x80...0x9F
                case 0xF0: 0x90...0xBF
                case 0xF4: 0x80...0x8F
                default: 0x80...0xBF
                }
                guard range.contains(second), rest.dropFirst().allSatisfy({ (0x80...0xBF).contains($0) }) else {
                    return 0
                }
            }
            return back
        }
        return 0
    }
}
