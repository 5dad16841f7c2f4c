import Foundation

/// Text ↔ token ids for token models: one token per Unicode scalar, ids from the model's stored vocabulary.
public struct Tokenizer: Sendable {
    /// What to do with characters the vocabulary lacks.
    public enum UnknownPolicy: Sendable {
        /// Throw ``UnknownCharactersError`` naming every unknown character.
        case refuse
        /// Drop them.
        case skip
    }

    public let vocabulary: [Unicode.Scalar]
    private let ids: [Unicode.Scalar: Int]

    public init(vocabulary: [Unicode.Scalar]) {
        self.vocabulary = vocabulary
        ids = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
    }

    /// The token ids of `text`.
    public func encode(_ text: String, unknown: UnknownPolicy = .refuse) throws -> [Int] {
        var tokens: [Int] = []
        tokens.reserveCapacity(text.unicodeScalars.count)
        var missing: [Unicode.Scalar: Int] = [:]
        for scalar in text.unicodeScalars {
            if let id = ids[scalar] {
                tokens.append(id)
            } else {
                missing[scalar, default: 0] += 1
            }
        }
        if !missing.isEmpty && unknown == .refuse {
            throw UnknownCharactersError(characters: missing.sorted { $0.key.value < $1.key.value }.map { ($0.key, $0.value) })
        }
        return tokens
    }

    /// The text of `tokens`.
    public func decode(_ tokens: [Int]) -> String {
        var text = String.UnicodeScalarView()
        for token in tokens { text.append(vocabulary[token]) }
        return String(text)
    }
}

/// Text that holds characters outside a model's vocabulary.
public struct UnknownCharactersError: Error, LocalizedError, CustomStringConvertible {
    /// Each unknown character with how often it occurs.
    public let characters: [(Unicode.Scalar, Int)]

    public var description: String {
        let list = characters.prefix(20).map { scalar, count in
            "\(scalar.escaped(asASCII: true).debugDescription) (U+\(String(scalar.value, radix: 16, uppercase: true)), \(count)×)"
        }
        let more = characters.count > 20 ? " and \(characters.count - 20) more" : ""
        return "characters not in the model's vocabulary: " + list.joined(separator: ", ") + more
    }

    public var errorDescription: String? { description }
}

extension KRUModel {
    /// The tokenizer of a token model, nil for a vector model.
    public var tokenizer: Tokenizer? { description.vocabulary.map(Tokenizer.init) }
}
