import Foundation
import Testing
@testable import KRUServe

/// Bad input never crashes the server or is silently reinterpreted: each case gets a 4xx with a JSON error whose
/// one-line message names the problem, and the server goes on serving.
@Suite(.serialized)
struct RequestValidationTests {
    /// (body, expected status, words the message must contain)
    static let badCompletions: [(String, Int, [String])] = [
        (#"{"model": "kjv-kru512", "prompt": "And"#, 400, ["not valid JSON"]),
        (#"{"model": "kjv-kru512", "prompt": "And", "temperature": NaN}"#, 400, ["not valid JSON"]),
        (#"[1, 2, 3]"#, 400, ["JSON object"]),
        (#""just a string""#, 400, ["JSON object"]),
        (#"{"model": "kjv-kru512", "max_token": 5}"#, 400, ["unknown field", "max_token"]),
        (#"{"prompt": "And"}"#, 400, ["model is required"]),
        (#"{"model": 5}"#, 400, ["model must be a string"]),
        (#"{"model": "nope", "prompt": "And"}"#, 404, ["nope", "kjv-kru512", "kjv-lstm128-k4x4x8"]),
        (#"{"model": "mnist5k-kru128", "prompt": "And"}"#, 404, ["mnist5k-kru128"]),
        (#"{"model": "kjv-kru512", "prompt": "Ünïcödé ☃"}"#, 400,
         ["prompt", "not in the model's vocabulary", "U+2603"]),
        (#"{"model": "kjv-kru512", "prompt": [1, 2]}"#, 400, ["prompt must be a string or a list of strings"]),
        (#"{"model": "kjv-kru512", "prompt": []}"#, 400, ["prompt must not be an empty list"]),
        (#"{"model": "kjv-kru512", "prompt": ["And", "Ünïcödé"]}"#, 400, ["prompt 1", "U+DC"]),
        (#"{"model": "kjv-kru512", "prompt": ["a", "b", "c"], "n": 3}"#, 400, ["9 choices", "limit is 8"]),
        (#"{"model": "kjv-kru512", "echo": 1}"#, 400, ["echo must be true or false"]),
        (#"{"model": "kjv-kru512", "temperature": -0.5}"#, 400, ["temperature", "-0.5"]),
        (#"{"model": "kjv-kru512", "temperature": 1e999}"#, 400, ["temperature"]),
        (#"{"model": "kjv-kru512", "temperature": "hot"}"#, 400, ["temperature must be a number"]),
        (#"{"model": "kjv-kru512", "top_p": 0}"#, 400, ["top_p", "(0, 1]"]),
        (#"{"model": "kjv-kru512", "top_p": 1.5}"#, 400, ["top_p"]),
        (#"{"model": "kjv-kru512", "top_k": -1}"#, 400, ["top_k"]),
        (#"{"model": "kjv-kru512", "top_k": 2.5}"#, 400, ["top_k must be an integer"]),
        (#"{"model": "kjv-kru512", "max_tokens": -1}"#, 400, ["max_tokens", "-1"]),
        (#"{"model": "kjv-kru512", "max_tokens": 100000}"#, 400, ["max_tokens", "4096"]),
        (#"{"model": "kjv-kru512", "max_tokens": 1e30}"#, 400, ["max_tokens must be an integer"]),
        (#"{"model": "kjv-kru512", "n": 0}"#, 400, ["n must be between 1 and 8"]),
        (#"{"model": "kjv-kru512", "n": 9}"#, 400, ["n must be between 1 and 8"]),
        (#"{"model": "kjv-kru512", "seed": -1}"#, 400, ["seed must be an integer from 0"]),
        (#"{"model": "kjv-kru512", "seed": 18446744073709551616}"#, 400, ["seed"]),
        (#"{"model": "kjv-kru512", "seed": 1.5}"#, 400, ["seed"]),
        (#"{"model": "kjv-kru512", "stream": "yes"}"#, 400, ["stream must be true or false"]),
        (#"{"model": "kjv-kru512", "logprobs": 6}"#, 400, ["logprobs", "5"]),
        (#"{"model": "kjv-kru512", "stop": ["a", "b", "c", "d", "e"]}"#, 400, ["stop", "limit is 4"]),
        (#"{"model": "kjv-kru512", "stop": [""]}"#, 400, ["stop sequence"]),
        (#"{"model": "kjv-kru512", "stop": [1]}"#, 400, ["stop must be a string or a list of strings"]),
        (#"{"model": "kjv-kru512", "stream_options": {"include_usage": true}}"#, 400, ["only allowed with"]),
        (#"{"model": "kjv-kru512", "stream": true, "stream_options": {"usage": true}}"#, 400,
         ["unknown field \"usage\""]),
        (#"{"model": "kjv-kru512", "stream": true, "stream_options": true}"#, 400,
         ["stream_options must be a JSON object"]),
    ]

    @Test func badCompletionRequestsGetClearErrors() async throws {
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            for (body, status, words) in Self.badCompletions {
                let response = try await client.post("/v1/completions", json: body)
                #expect(response.status == status, "\(body)")
                #expect(response.header("content-type") == "application/json")
                let message = try response.errorMessage
                for word in words { #expect(message.contains(word), "\(body) → \(message)") }
                #expect(!message.contains("\n"))
            }
            // Still serving.
            let ok = try await client.post("/v1/completions", json: #"{"model": "kjv-kru512", "max_tokens": 3}"#)
            #expect(ok.status == 200)
        }
        await TestModels.stop(server)
    }

    @Test func limitsAreEnforced() async throws {
        let server = try TestModels.server {
            $0.maxBodyBytes = 2000
            $0.maxPromptCharacters = 100
            $0.maxScoreCharacters = 50
        }
        try await TestServer.run(server) { client in
            let huge = String(repeating: "a", count: 5000)
            let tooBig = try await client.post("/v1/completions",
                                               json: #"{"model": "kjv-kru512", "prompt": "\#(huge)"}"#)
            #expect(tooBig.status == 413)
            #expect(try tooBig.errorMessage.contains("2000"))
            let longPrompt = String(repeating: "a", count: 101)
            let prompt = try await client.post("/v1/completions",
                                               json: #"{"model": "kjv-kru512", "prompt": "\#(longPrompt)"}"#)
            #expect(prompt.status == 400)
            #expect(try prompt.errorMessage.contains("limit is 100"))
            let score = try await client.post("/v1/score", json: #"{"model": "kjv-kru512", "text": "\#(longPrompt)"}"#)
            #expect(score.status == 400)
            #expect(try score.errorMessage.contains("limit is 50"))
            let empty = try await client.execute("POST", "/v1/completions")
            #expect(empty.status == 400)
            #expect(try empty.errorMessage.contains("empty"))
        }
        await TestModels.stop(server)
    }

    @Test func unknownEndpointsAndMethodsGetJSONErrors() async throws {
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let missing = try await client.get("/v2/nothing")
            #expect(missing.status == 404)
            #expect(try missing.errorMessage.contains("/v1/completions"))
            let wrongMethod = try await client.get("/v1/completions")
            #expect((400..<500).contains(wrongMethod.status))
            _ = try wrongMethod.errorMessage
        }
        await TestModels.stop(server)
    }

    @Test func badScoreRequestsGetClearErrors() async throws {
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            for (body, words) in [
                (#"{"model": "kjv-kru512"}"#, ["text is required"]),
                (#"{"model": "kjv-kru512", "text": "a"}"#, ["at least 2"]),
                (#"{"model": "kjv-kru512", "text": "snow ☃"}"#, ["text has", "U+2603"]),
                (#"{"model": "kjv-kru512", "text": "abc", "extra": 1}"#, ["unknown field", "extra"]),
            ] {
                let response = try await client.post("/v1/score", json: body)
                #expect(response.status == 400, "\(body)")
                for word in words { #expect(try response.errorMessage.contains(word), "\(body)") }
            }
        }
        await TestModels.stop(server)
    }
}
