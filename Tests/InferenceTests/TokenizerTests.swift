import Foundation
import Testing
@testable import KRUInference

/// The tokenizers of spec/MODEL.md §4.2 against independent oracles: word_language_model's own data.py on an
/// edge-case text (its Dictionary order and ids, recorded by tools/make_script_fixtures.py), Swift's and the
/// standard's UTF-8, and the round trips the spec promises.
struct TokenizerTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/scripts")

    @Test func wordsSplitAsWordLanguageModelSplitsThem() throws {
        let data = try Data(contentsOf: Self.scripts.appendingPathComponent("words_tokenizer.json"))
        let oracle = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let text = try #require(oracle["text"] as? String)
        let dictionary = try #require(oracle["dictionary"] as? [String])
        // The Dictionary numbers words in order of first appearance.
        var seen = Set<String>()
        #expect(TextSplitting.words(text).filter { seen.insert($0).inserted } == dictionary)
        let tokenizer = Tokenizer(vocabulary: try Vocabulary(dictionary, tokenizer: .words))
        #expect(try tokenizer.encode(text) == oracle["ids"] as? [Int])
    }

    @Test func linesEndAtCRLFCRAndLFAndALastLineNeedsNoEnd() {
        #expect(TextSplitting.words("") == [])
        #expect(TextSplitting.words("\n") == ["<eos>"])
        #expect(TextSplitting.words("a\r\n\rb") == ["a", "<eos>", "<eos>", "b", "<eos>"])
        #expect(TextSplitting.words("  a \t b  ") == ["a", "b", "<eos>"])
    }

    @Test func wordsDecodeWithSpacesAndLineEnds() throws {
        let vocabulary = try Vocabulary(["the", "king", "said", "<eos>", ","], tokenizer: .words)
        let tokenizer = Tokenizer(vocabulary: vocabulary)
        let ids = try tokenizer.encode("the king said ,\nthe king")
        #expect(tokenizer.decode(ids) == "the king said ,\nthe king\n")
        // A generated word after a prime word gets its space, after <eos> none.
        #expect(tokenizer.decode([1], previous: 0) == " king" && tokenizer.decode([1], previous: 3) == "king")
        let unknown = #expect(throws: UnknownCharactersError.self) { try tokenizer.encode("the queen said") }
        #expect(unknown?.description == "words not in the model's vocabulary: \"queen\" (1×)")
        #expect(try tokenizer.encode("the queen said", unknown: .skip) == [0, 2, 3])
    }

    @Test func bytesAreUTF8AndStreamAcrossSplitCharacters() throws {
        let vocabulary = try Vocabulary((0...255).map { String(Unicode.Scalar(UInt8($0))) }, tokenizer: .bytes)
        let tokenizer = Tokenizer(vocabulary: vocabulary)
        let text = "café ✓ 𝄞"
        let ids = try tokenizer.encode(text)
        #expect(ids == text.utf8.map { Int($0) })
        var decoder = TextDecoder(vocabulary: vocabulary)
        let pieces = ids.map { decoder.piece($0) }
        #expect(pieces.joined() + decoder.finish() == text)
        #expect(pieces[3] == "" && pieces[4] == "é")  // é's first byte waits for its second
        // Ill-formed input becomes U+FFFD, as Swift's own decoder makes it (maximal subparts).
        for bytes: [UInt8] in [[0xC3], [0xE2, 0x9C], [0xFF, 0x41], [0xED, 0xA0, 0x80], [0xF0, 0x9D, 0x84, 0x41]] {
            #expect(tokenizer.decode(bytes.map(Int.init)) == String(decoding: bytes, as: UTF8.self), "\(bytes)")
        }
    }

    @Test func charactersStayAsTheyWere() throws {
        let tokenizer = Tokenizer(vocabulary: Array("ab\n".unicodeScalars))
        #expect(try tokenizer.encode("ab\nba") == [0, 1, 2, 1, 0])
        #expect(tokenizer.decode([1, 2, 0]) == "b\na")
        #expect(tokenizer.vocabulary.characters == Array("ab\n".unicodeScalars))
    }
}
