import Foundation
import Testing
@testable import KRUServe

/// `/v1/score` against `kru score --json` on the same text; `/v1/models` against the zoo manifest; `/health`;
/// `/metrics` against what the requests did.
@Suite(.serialized)
struct ScoreModelsMetricsTests {
    @Test func scoreIsKruScore() async throws {
        let text = "In the beginning God created the heaven and the earth.\nAnd the earth was without form, and void."
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kru-score-\(UUID().uuidString).txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let cli = try await KRUExecutable.run(["score", "models/\(TestModels.lstm).kru", file.path, "--json"])
        #expect(cli.status == 0, "\(cli.stderr)")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])
        let expected = parsed.compactMapValues { $0 as? Double }
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let json = try JSONSerialization.data(withJSONObject: ["model": TestModels.lstm, "text": text])
            let body = String(decoding: json, as: UTF8.self)
            let response = try await client.post("/v1/score", json: body)
            #expect(response.status == 200)
            let score = try response.object
            for key in ["tokens", "mean_nll", "mean_nll_stderr", "bits_per_char", "perplexity", "perplexity_stderr",
                        "top1_accuracy"] {
                #expect((score[key] as? Double) == expected[key], "\(key)")
            }
            #expect(score["bits_per_token"] as? Double == expected["bits_per_char"])
            let stderr = try #require(score["mean_nll_stderr"] as? Double)
            #expect(abs((score["bits_per_char_stderr"] as? Double ?? 0) - stderr / log(2)) < 1e-15)
            #expect(score["characters"] as? Int == text.count)
        }
        await TestModels.stop(server)
    }

    /// `kru serve` runs the kru-serve built beside kru, passing its arguments on.
    @Test func kruServeRunsTheServerExecutable() async throws {
        let help = try await KRUExecutable.run(["serve", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: kru-serve [<options>] --models <models>"), "\(help.stdout)")
        let missing = try await KRUExecutable.run(["serve", "--models", "/nonexistent-models-directory"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "kru-serve: the models directory /nonexistent-models-directory does not exist\n")
    }

    @Test func modelsListTheCharacterModelsWithTheirCardHeadline() async throws {
        let manifest = try JSONSerialization.jsonObject(
            with: Data(contentsOf: TestModels.modelsFolder.appendingPathComponent("zoo.json"))) as! [String: Any]
        let headlines = Dictionary(uniqueKeysWithValues: (manifest["models"] as! [[String: Any]]).map {
            ($0["name"] as! String, ($0["measured"] as! [String: Any])["headline"] as! String)
        })
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let list = try await client.get("/v1/models").object
            #expect(list["object"] as? String == "list")
            let data = try #require(list["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == [TestModels.kru, TestModels.lstm])  // not the classifier
            for model in data {
                let id = model["id"] as! String
                let kru = try #require(model["kru"] as? [String: Any])
                #expect(kru["headline"] as? String == headlines[id])
                #expect(kru["file"] as? String == id + ".kru")
            }
            let kru = try #require(data[0]["kru"] as? [String: Any])
            #expect(kru["cells"] as? [String] == ["kru"] && kru["hidden_sizes"] as? [Int] == [512])

            let health = try await client.get("/health")
            #expect(health.status == 200)
            #expect(try health.object["status"] as? String == "ok")
        }
        await TestModels.stop(server)
    }

    @Test func metricsCountWhatHappened() async throws {
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let completion = try await client.post("/v1/completions", json: """
                {"model": "kjv-lstm128-k4x4x8", "prompt": "Let there", "max_tokens": 25, "n": 2}
                """).object
            #expect((completion["usage"] as? [String: Int])?["completion_tokens"] == 50)
            _ = try await client.post("/v1/completions", json: #"{"model": "nope"}"#)
            let text = try await client.metrics()
            let model = "{model=\"\(TestModels.lstm)\"}"
            #expect(metricValue(text, "kru_generated_tokens_total\(model)") == 50)
            #expect(metricValue(text, "kru_prompt_tokens_total\(model)") == 18)
            #expect(metricValue(text, "kru_time_to_first_token_seconds_count\(model)") == 2)
            #expect(metricValue(text, "kru_queue_length\(model)") == 0)
            #expect(metricValue(text, "kru_http_requests_total{endpoint=\"/v1/completions\",status=\"200\"}") == 1)
            #expect(metricValue(text, "kru_http_requests_total{endpoint=\"/v1/completions\",status=\"404\"}") == 1)
            #expect(text.contains("# HELP kru_step_duration_seconds"))
            #expect(text.contains("kru_http_request_duration_seconds_bucket{endpoint=\"/v1/completions\",le=\""))
        }
        await TestModels.stop(server)
    }
}
