import Foundation
import Testing
@testable import KRUInference

/// Generation: the same seed gives the same text, the async sequence yields what the token stream yields, and
/// temperature 0 follows the argmax of the engine's own outputs.
struct GenerationTests {
    static func model() throws -> KRUModel {
        try KRUModel(path: ModelFixtureTests.directory.appendingPathComponent("torch_gru_h8_l3.kru").path)
    }

    @Test func sameSeedSameTokensOtherSeedOtherTokens() throws {
        let model = try Self.model()
        let options = GenerationOptions(length: 64, seed: 11)
        let first = Array(TokenStream(model: model, prime: [0, 1], options: options))
        #expect(first.count == 64)
        #expect(Array(TokenStream(model: model, prime: [0, 1], options: options)) == first)
        var other = options
        other.seed = 12
        #expect(Array(TokenStream(model: model, prime: [0, 1], options: other)) != first)
    }

    @Test func asyncSequenceYieldsTheTokenStreamsText() async throws {
        let model = try Self.model()
        let options = GenerationOptions(length: 40, temperature: 0.7, topK: 5, seed: 3)
        let tokenizer = try #require(model.tokenizer)
        let expected = tokenizer.decode(Array(TokenStream(model: model, prime: try tokenizer.encode("abc"), options: options)))
        var text = ""
        for await piece in try model.generate(prime: "abc", options: options) { text += piece }
        #expect(text == expected)
    }

    @Test func temperatureZeroFollowsTheArgmax() throws {
        let model = try Self.model()
        let greedy = Array(TokenStream(model: model, prime: [2], options: GenerationOptions(length: 20, temperature: 0, seed: 1)))
        let session = model.session()
        session.feed(token: 2)
        for token in greedy {
            let best = session.withOutputs { logits in logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }! }
            #expect(token == best)
            session.feed(token: token)
        }
    }

    @Test func unknownPrimeCharactersAreRefusedByTheAsyncAPI() throws {
        let model = try Self.model()
        #expect(throws: UnknownCharactersError.self) { try model.generate(prime: "xyz", options: GenerationOptions(seed: 1)) }
    }
}
