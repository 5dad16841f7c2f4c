import Foundation
import Testing
@testable import KRUServe

/// Completions against an independent oracle: the `kru` executable's `sample` command, which generates with the
/// engine's single-stream `TokenStream` — no server, no batching. A seeded request must give exactly its text.
@Suite(.serialized)
struct CompletionTests {
    static let prompt = "And God said"

    @Test(arguments: [
        (TestModels.kru, 1.0, 0, 1.0, UInt64(1)),
        (TestModels.kru, 0.7, 20, 0.9, UInt64(18_446_744_073_709_551_615)),
        (TestModels.lstm, 1.3, 0, 0.95, UInt64(7)),
        (TestModels.lstm, 0.0, 0, 1.0, UInt64(3)),  // greedy
    ])
    func seededCompletionIsKruSampleText(model: String, temperature: Double, topK: Int, topP: Double,
                                         seed: UInt64) async throws {
        let expected = try await KRUExecutable.sample(model: model, prompt: Self.prompt, length: 80, seed: seed,
                                                temperature: temperature, topK: topK, topP: topP)
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let response = try await client.post("/v1/completions", json: """
                {"model": "\(model)", "prompt": "\(Self.prompt)", "max_tokens": 80, "seed": \(seed),
                 "temperature": \(temperature), "top_k": \(topK), "top_p": \(topP)}
                """)
            #expect(response.status == 200)
            let completion = try response.object
            #expect(try choiceText(completion) == expected)
            #expect(completion["seed"] as? UInt64 == seed || (completion["seed"] as? NSNumber)?.uint64Value == seed)
            let usage = try #require(completion["usage"] as? [String: Int])
            #expect(usage["prompt_tokens"] == Self.prompt.count && usage["completion_tokens"] == 80)
        }
        await TestModels.stop(server)
    }

    /// A prompt longer than a step's prefill budget, fed by the batch steps one character at a time.
    static let longPrompt = String(repeating: "And God said, Let there be light: and there was light. ", count: 4)

    /// Twelve requests at once share the batch (they join and leave it at different steps: different prompt and
    /// output lengths, and prompts both prefilled and fed by the batch); each still gets exactly its own
    /// `kru sample` text.
    @Test func concurrentRequestsShareTheBatchAndKeepTheirText() async throws {
        #expect(Self.longPrompt.count > BatchLane.prefillBudget)
        let cases = (0..<12).map { i in
            (seed: UInt64(100 + i), prompt: i % 4 == 3 ? Self.longPrompt : String(Self.prompt.prefix(1 + i)),
             length: 20 + 7 * i)
        }
        var expected: [String] = []
        for c in cases {
            expected.append(try await KRUExecutable.sample(model: TestModels.kru, prompt: c.prompt, length: c.length,
                                                           seed: c.seed))
        }
        let oracle = expected
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let texts = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (i, c) in cases.enumerated() {
                    group.addTask {
                        let response = try await client.post("/v1/completions", json: """
                            {"model": "\(TestModels.kru)", "prompt": "\(c.prompt)", "max_tokens": \(c.length),
                             "seed": \(c.seed)}
                            """)
                        return (i, try choiceText(try response.object))
                    }
                }
                var texts = [String](repeating: "", count: cases.count)
                for try await (i, text) in group { texts[i] = text }
                return texts
            }
            #expect(texts == oracle)
            // The batch really was shared: some step advanced more than one sequence, so the sequences stepped
            // outnumber the steps. How many share a step depends on how the requests' arrivals interleave on a
            // busy machine (a mean above 1.5 failed once in CI at 1.48), so only the sharing itself is asserted.
            let metrics = try await client.metrics()
            let sum = try #require(metricValue(metrics, "kru_batch_size_sum{model=\"\(TestModels.kru)\"}"))
            let count = try #require(metricValue(metrics, "kru_batch_size_count{model=\"\(TestModels.kru)\"}"))
            #expect(sum > count, "mean batch size \(sum / count)")
        }
        await TestModels.stop(server)
    }

    /// The prompt cache: a prompt seen before, and a longer prompt that starts with it, take the cached state
    /// (counted in `kru_prompt_tokens_cached_total`) and still give exactly `kru sample`'s text; with the cache off
    /// nothing is taken from it. One lane, so every request meets the same cache.
    @Test(arguments: [TestModels.kru, TestModels.lstm])
    func cachedPromptsKeepKruSampleText(model: String) async throws {
        let longer = Self.prompt + ", Let there be"
        let requests = [(Self.prompt, UInt64(5)), (Self.prompt, UInt64(6)), (longer, UInt64(7))]
        var expected: [String] = []
        for (prompt, seed) in requests {
            expected.append(try await KRUExecutable.sample(model: model, prompt: prompt, length: 40, seed: seed))
        }
        let oracle = expected
        for cacheBytes in [1 << 20, 0] {
            let server = try TestModels.server { $0.threadsPerModel = 1; $0.promptCacheBytes = cacheBytes }
            try await TestServer.run(server) { client in
                for ((prompt, seed), text) in zip(requests, oracle) {
                    let response = try await client.post("/v1/completions", json: """
                        {"model": "\(model)", "prompt": "\(prompt)", "max_tokens": 40, "seed": \(seed)}
                        """)
                    #expect(try choiceText(try response.object) == text, "\(prompt), seed \(seed)")
                }
                let cached = try await client.metric("kru_prompt_tokens_cached_total", model)
                #expect(cached == Double(cacheBytes > 0 ? 2 * Self.prompt.count : 0))
            }
            await TestModels.stop(server)
        }
    }

    /// Prompts longer than a step's prefill budget use the prompt cache too (the cached characters are counted in
    /// `kru_prompt_tokens_cached_total`), and every text is still exactly `kru sample`'s. The long prompt, fed by
    /// the batch the first time, is cached once its last character is fed, so the second request restores it
    /// whole (220 characters); a longer prompt that starts with it needs only its rest fed, which fits the budget,
    /// so it is prefilled from the cached state (220 more) rather than fed by the batch a character per step.
    @Test func longPromptsUseThePromptCache() async throws {
        let longer = Self.longPrompt + "And God saw the light, that it was good."
        #expect(Self.longPrompt.count > BatchLane.prefillBudget)
        #expect(longer.count - Self.longPrompt.count <= BatchLane.prefillBudget)
        let requests = [(Self.longPrompt, UInt64(8)), (Self.longPrompt, UInt64(9)), (longer, UInt64(10))]
        var expected: [String] = []
        for (prompt, seed) in requests {
            expected.append(try await KRUExecutable.sample(model: TestModels.kru, prompt: prompt, length: 30,
                                                           seed: seed))
        }
        let oracle = expected
        let server = try TestModels.server { $0.threadsPerModel = 1 }
        try await TestServer.run(server) { client in
            for ((prompt, seed), text) in zip(requests, oracle) {
                let response = try await client.post("/v1/completions", json: """
                    {"model": "\(TestModels.kru)", "prompt": "\(prompt)", "max_tokens": 30, "seed": \(seed)}
                    """)
                #expect(try choiceText(try response.object) == text, "seed \(seed)")
            }
            let cached = try await client.metric("kru_prompt_tokens_cached_total", TestModels.kru)
            #expect(cached == Double(2 * Self.longPrompt.count))
        }
        await TestModels.stop(server)
    }

    /// A model's lanes share one prompt cache: a prompt fed on one lane is restored whole on another. The first
    /// request runs alone, on the first lane; while an endless generation keeps that lane busy, the same prompt
    /// goes to the second, least loaded lane. With a cache per lane the second request fed its prompt again.
    @Test func lanesShareThePromptCache() async throws {
        let prompt = "And God said, Let there be light: and there was light."
        let expected = try await KRUExecutable.sample(model: TestModels.kru, prompt: prompt, length: 20, seed: 3)
        let server = try TestModels.server { $0.threadsPerModel = 2; $0.maxTokens = 1_000_000 }
        try await TestServer.run(server) { client in
            let body = #"{"model": "\#(TestModels.kru)", "prompt": "\#(prompt)", "max_tokens": 20, "seed": 3}"#
            #expect(try choiceText(try await client.post("/v1/completions", json: body).object) == expected)
            let busy = try RawConnection(port: client.port)
            let endless = #"{"model": "\#(TestModels.kru)", "max_tokens": 1000000, "stream": true}"#
            try busy.post("/v1/completions", json: endless)
            #expect(await busy.waitFor("data: ", seconds: 10))
            #expect(try choiceText(try await client.post("/v1/completions", json: body).object) == expected)
            busy.hangUp()
            let cached = try await client.metric("kru_prompt_tokens_cached_total", TestModels.kru)
            #expect(cached == Double(prompt.count))
        }
        await TestModels.stop(server)
    }

    /// Without a prompt the first character is drawn uniformly, as `kru sample` does without --prime.
    @Test func emptyPromptMatchesKruSampleWithoutPrime() async throws {
        let expected = try await KRUExecutable.sample(model: TestModels.lstm, prompt: "", length: 30, seed: 11)
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            for body in [#"{"model": "kjv-lstm128-k4x4x8", "max_tokens": 30, "seed": 11}"#,
                         #"{"model": "kjv-lstm128-k4x4x8", "prompt": "", "max_tokens": 30, "seed": 11}"#] {
                let text = try choiceText(try await client.post("/v1/completions", json: body).object)
                #expect(text == expected)
            }
        }
        await TestModels.stop(server)
    }

    /// `n` choices use seeds seed, seed + 1, …; streaming gives the same texts in pieces, each choice ending with
    /// its finish reason, then `[DONE]`.
    @Test func choicesAndStreamingAgreeWithKruSample() async throws {
        var expected: [String] = []
        for choice in 0..<3 {
            expected.append(try await KRUExecutable.sample(model: TestModels.kru, prompt: "In the", length: 40,
                                                           seed: 40 + UInt64(choice)))
        }
        let oracle = expected
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let whole = try await client.post("/v1/completions", json: """
                {"model": "kjv-kru512", "prompt": "In the", "max_tokens": 40, "seed": 40, "n": 3}
                """).object
            #expect(try (0..<3).map { try choiceText(whole, $0) } == oracle)

            let stream = try await client.post("/v1/completions", json: """
                {"model": "kjv-kru512", "prompt": "In the", "max_tokens": 40, "seed": 40, "n": 3, "stream": true,
                 "stream_options": {"include_usage": true}}
                """)
            #expect(stream.status == 200 && stream.header("content-type") == "text/event-stream")
            let events = stream.events
            #expect(events.last == "[DONE]")
            // With include_usage, the last chunk has no choices and the usage of the whole request.
            let usageChunk = try #require(
                try JSONSerialization.jsonObject(with: Data(events.dropLast().last!.utf8)) as? [String: Any])
            #expect((usageChunk["choices"] as? [Any])?.isEmpty == true)
            #expect(usageChunk["usage"] as? [String: Int]
                    == ["prompt_tokens": 6, "completion_tokens": 120, "total_tokens": 126])
            var texts = ["", "", ""], reasons: [Int: String] = [:]
            for event in events.dropLast(2) {
                let chunk = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
                let choice = try #require((chunk["choices"] as? [[String: Any]])?.first)
                let index = try #require(choice["index"] as? Int)
                #expect(reasons[index] == nil, "text after the finish reason")
                texts[index] += try #require(choice["text"] as? String)
                if let reason = choice["finish_reason"] as? String { reasons[index] = reason }
            }
            #expect(texts == oracle)
            #expect(reasons == [0: "length", 1: "length", 2: "length"])
        }
        await TestModels.stop(server)
    }

    /// Stop sequences end the text just before their first occurrence in what `kru sample` generates, with
    /// finish reason "stop"; the stream holds back a partial match and never shows any part of the stop sequence.
    @Test func stopSequencesCutKruSampleTextAtTheFirstMatch() async throws {
        let full = try await KRUExecutable.sample(model: TestModels.kru, prompt: Self.prompt, length: 300, seed: 5)
        // Stops taken from the oracle text itself, so they surely occur: a two-character one, a word with the
        // character before it, and one that never occurs.
        let middle = full.index(full.startIndex, offsetBy: 120)
        let stops = [String(full[middle...].prefix(2)), "zzzq", " " + String(full[full.index(middle, offsetBy: 40)...]
            .prefix(4))]
        // The text ends where the first stop sequence to be completed begins (among those ending at the same
        // character, the longest).
        let ends = stops.compactMap { stop in full.range(of: stop).map { (end: $0.upperBound, start: $0.lowerBound) } }
        let first = ends.min { $0.end < $1.end || ($0.end == $1.end && $0.start < $1.start) }!
        let expected = String(full[..<first.start])
        let stopList = String(decoding: try JSONSerialization.data(withJSONObject: stops), as: UTF8.self)
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let whole = try await client.post("/v1/completions", json: """
                {"model": "kjv-kru512", "prompt": "\(Self.prompt)", "max_tokens": 300, "seed": 5, "stop": \(stopList)}
                """).object
            #expect(try choiceText(whole) == expected)
            let choice = try #require((whole["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "stop")

            let stream = try await client.post("/v1/completions", json: """
                {"model": "kjv-kru512", "prompt": "\(Self.prompt)", "max_tokens": 300, "seed": 5,
                 "stop": \(stopList), "stream": true}
                """)
            var streamed = ""
            for event in stream.events.dropLast() {
                let chunk = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
                streamed += try choiceText(chunk)
            }
            #expect(streamed == expected)

            // A single string works too; a stop that never occurs leaves the text at max_tokens.
            let single = try await client.post("/v1/completions", json: """
                {"model": "kjv-kru512", "prompt": "\(Self.prompt)", "max_tokens": 300, "seed": 5, "stop": "zzzq"}
                """).object
            #expect(try choiceText(single) == full)
        }
        await TestModels.stop(server)
    }

    /// logprobs: at temperature 0 the chosen character is the most probable one, so its log-probability is the
    /// first alternative's; the alternatives are sorted, at most 1 in total probability, and offsets count
    /// characters.
    @Test func logprobsDescribeTheModelDistribution() async throws {
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let completion = try await client.post("/v1/completions", json: """
                {"model": "kjv-kru512", "prompt": "And", "max_tokens": 12, "temperature": 0, "logprobs": 5}
                """).object
            let choice = try #require((completion["choices"] as? [[String: Any]])?.first)
            let logprobs = try #require(choice["logprobs"] as? [String: Any])
            let tokens = try #require(logprobs["tokens"] as? [String])
            let chosen = try #require(logprobs["token_logprobs"] as? [Double])
            let top = try #require(logprobs["top_logprobs"] as? [[String: Double]])
            let offsets = try #require(logprobs["text_offset"] as? [Int])
            #expect(tokens.joined() == (choice["text"] as? String))
            #expect(offsets == Array(0..<12))
            for (i, alternatives) in top.enumerated() {
                #expect(alternatives.count == 5)
                let best = alternatives.values.max()!
                #expect(alternatives[tokens[i]] == best && chosen[i] == best, "greedy picks the most probable")
                #expect(alternatives.values.reduce(0) { $0 + exp($1) } <= 1 + 1e-12)
                #expect(chosen[i] <= 0)
            }
        }
        await TestModels.stop(server)
    }

    /// Writes of a stream are spaced by the stream interval, but a stream's end is sent at once: with a 60 s
    /// interval a short completion still ends in well under that (it would take the full interval otherwise).
    @Test func streamEndIsNotHeldBackByTheWriteInterval() async throws {
        let server = try TestModels.server { $0.streamInterval = 60 }
        try await TestServer.run(server) { client in
            let started = ContinuousClock.now
            let stream = try await client.post("/v1/completions", json: """
                {"model": "kjv-lstm128-k4x4x8", "prompt": "And", "max_tokens": 20, "stream": true, "seed": 2}
                """)
            #expect(ContinuousClock.now - started < .seconds(30))
            #expect(stream.events.last == "[DONE]")
            let expected = try await KRUExecutable.sample(model: TestModels.lstm, prompt: "And", length: 20, seed: 2)
            #expect(streamedText(stream.text) == expected)
        }
        await TestModels.stop(server)
    }

    @Test func zeroTokensGivesAnEmptyText() async throws {
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let completion = try await client.post("/v1/completions", json: """
                {"model": "kjv-kru512", "prompt": "And", "max_tokens": 0}
                """).object
            #expect(try choiceText(completion) == "")
            let choice = try #require((completion["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "length")
        }
        await TestModels.stop(server)
    }
}

/// The value of the sample line `name` in a Prometheus exposition.
func metricValue(_ exposition: String, _ name: String) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(name + " ") {
        return Double(line.dropFirst(name.count + 1))
    }
    return nil
}
