import Foundation
import Testing
@testable import KRUServe

/// OpenAI's `echo` and lists of prompts: what evaluation harnesses send to have a text scored character by
/// character (`echo: true, logprobs: 1`, several prompts per request).
struct EchoAndPromptListTests {
    static let prompt = "In the beginning God created the heaven"

    /// With `echo` the text starts with the prompt, and `logprobs` covers the prompt too: its first character has no
    /// log-probability (nothing precedes it), and the others sum to what `/v1/score` reports for the prompt as a text
    /// (mean NLL × characters predicted: the same pass by another code path). The generated characters and their
    /// log-probabilities are those of the same request without `echo`.
    @Test func echoReturnsThePromptWithItsLogprobs() async throws {
        let expected = try await KRUExecutable.sample(model: TestModels.kru, prompt: Self.prompt, length: 12, seed: 5)
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let body = #"{"model": "kjv-kru512", "prompt": "\#(Self.prompt)", "max_tokens": 12, "seed": 5, "#
                + #""logprobs": 2"#
            let echoed = try await client.post("/v1/completions", json: body + #", "echo": true}"#).object
            let plain = try await client.post("/v1/completions", json: body + "}").object
            #expect(try choiceText(echoed) == Self.prompt + expected)
            #expect(try choiceText(plain) == expected)

            let logprobs = try Self.logprobs(echoed)
            let promptLength = Self.prompt.count
            #expect(logprobs.tokens.joined() == Self.prompt + expected)
            #expect(logprobs.offsets == Array(0..<(promptLength + 12)))
            #expect(logprobs.chosen[0] == nil && logprobs.top[0] == nil, "the first character has no context")
            let promptLogprobs = logprobs.chosen[1..<promptLength].map { $0! }
            let score = try await client.post("/v1/score",
                                              json: #"{"model": "kjv-kru512", "text": "\#(Self.prompt)"}"#).object
            let meanNLL = try #require(score["mean_nll"] as? Double)
            let predicted = try #require(score["tokens"] as? Int)
            #expect(predicted == promptLength - 1)
            let total = -promptLogprobs.reduce(0, +)
            #expect(abs(total - meanNLL * Double(predicted)) <= 1e-9 * total)
            for position in 1..<logprobs.chosen.count {
                let alternatives = try #require(logprobs.top[position])
                #expect(alternatives.count == 2)
                #expect(alternatives.values.max()! >= logprobs.chosen[position]!)
            }
            let generated = try Self.logprobs(plain)
            #expect(Array(logprobs.chosen[promptLength...]) == generated.chosen)
            #expect(Array(logprobs.offsets[promptLength...]) == generated.offsets.map { $0 + promptLength })
        }
        await TestModels.stop(server)
    }

    /// A list of prompts gives each prompt `n` choices, choice p·n + i being prompt p's choice i with seed + i: the
    /// text of `kru sample` with that prompt and seed. Streamed with `echo`, each choice's chunks start with its
    /// prompt. The usage counts each prompt once.
    @Test func promptListsGiveEachPromptItsChoices() async throws {
        let prompts = ["In the", "And God"]
        var expected: [String] = []
        for prompt in prompts {
            for choice in 0..<2 {
                expected.append(try await KRUExecutable.sample(model: TestModels.kru, prompt: prompt, length: 15,
                                                               seed: 7 + UInt64(choice)))
            }
        }
        let oracle = expected
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let body = #"{"model": "kjv-kru512", "prompt": ["In the", "And God"], "max_tokens": 15, "seed": 7, "n": 2"#
            let whole = try await client.post("/v1/completions", json: body + "}").object
            #expect(try (0..<4).map { try choiceText(whole, $0) } == oracle)
            #expect(whole["usage"] as? [String: Int]
                    == ["prompt_tokens": 13, "completion_tokens": 60, "total_tokens": 73])

            let stream = try await client.post("/v1/completions", json: body + #", "stream": true, "echo": true}"#)
            #expect(stream.events.last == "[DONE]")
            var texts = ["", "", "", ""]
            for event in stream.events.dropLast() {
                let chunk = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
                let choice = try #require((chunk["choices"] as? [[String: Any]])?.first)
                texts[try #require(choice["index"] as? Int)] += try #require(choice["text"] as? String)
            }
            #expect(texts == (0..<4).map { prompts[$0 / 2] + oracle[$0] })
        }
        await TestModels.stop(server)
    }

    /// The echo pass stops when asked to (the client went away), and otherwise covers the whole prompt.
    @Test func echoPassStopsWhenAsked() throws {
        let path = TestModels.modelsFolder.appendingPathComponent(TestModels.kru + ".kru").path
        let model = try ServedModel(name: TestModels.kru, path: path)
        let prompt = try model.encode(String(repeating: Self.prompt, count: 10))
        #expect(model.echo(prompt, logprobs: 1, until: { true }) == nil)
        let whole = try #require(model.echo(prompt, logprobs: 1, until: { false }))
        #expect(whole.map(\.token) == prompt && whole.dropFirst().allSatisfy { $0.logprobs != nil })
    }

    /// Choice 0's logprobs object, read with Foundation's parser: characters, ln p of each (nil for JSON null),
    /// alternatives of each, and text offsets.
    static func logprobs(_ completion: [String: Any]) throws
        -> (tokens: [String], chosen: [Double?], top: [[String: Double]?], offsets: [Int]) {
        let choices = try #require(completion["choices"] as? [[String: Any]])
        let logprobs = try #require(choices.first?["logprobs"] as? [String: Any])
        let tokens = try #require(logprobs["tokens"] as? [String])
        let chosen = try #require(logprobs["token_logprobs"] as? [Any]).map { $0 as? Double }
        let top = try #require(logprobs["top_logprobs"] as? [Any]).map { $0 as? [String: Double] }
        let offsets = try #require(logprobs["text_offset"] as? [Int])
        return (tokens, chosen, top, offsets)
    }
}
