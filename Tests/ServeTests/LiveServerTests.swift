import Foundation
import Testing
@testable import KRUServe

/// Behaviour that needs a real socket: slow clients, clients that hang up, a full queue, time limits and
/// graceful shutdown. The server listens on a free loopback port.
@Suite(.serialized)
struct LiveServerTests {
    /// A streaming request long enough to still be running when the test acts on it.
    static let endless = #"{"model": "kjv-lstm128-k4x4x8", "prompt": "And", "max_tokens": 1000000, "stream": true}"#

    /// Slow-loris: headers sent a few bytes at a time, never finished, get 408 and a closed connection once the
    /// read timeout passes; so does a body that stops arriving.
    @Test func slowClientsGet408() async throws {
        let server = try TestModels.server { $0.readTimeout = 0.5 }
        try await TestServer.run(server) { client in
            let port = client.port
            let headers = try RawConnection(port: port)
            try headers.send("POST /v1/completions HTTP/1.1\r\nHost: local")
            try await Task.sleep(for: .milliseconds(200))
            try headers.send("host\r\nContent-Ty")
            #expect(await headers.waitUntilClosed(seconds: 30), "the server must close the connection")
            #expect(headers.text.hasPrefix("HTTP/1.1 408"), "\(headers.text)")
            #expect(headers.text.contains("\"message\":\"the request headers did not arrive within 0.5 s\""))

            let body = try RawConnection(port: port)
            try body.send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{\"model\"")
            #expect(await body.waitFor("\r\n\r\n", seconds: 30))
            #expect(body.text.hasPrefix("HTTP/1.1 408"), "\(body.text)")
            #expect(await body.waitFor("did not arrive", seconds: 10))

            // A slow client does not hold up others.
            let ok = try await client.post("/v1/completions", json: #"{"model": "kjv-kru512", "max_tokens": 2}"#)
            #expect(ok.status == 200)
        }
        await TestModels.stop(server)
    }

    /// Kept-alive connections serve one request after another, completions and streams alike.
    @Test func keptAliveConnectionServesSeveralRequests() async throws {
        let server = try TestModels.server()
        try await TestServer.run(server) { client in
            let connection = try RawConnection(port: client.port)
            for body in [#"{"model": "kjv-kru512", "max_tokens": 5, "seed": 1}"#,
                         #"{"model": "kjv-kru512", "max_tokens": 5, "seed": 1, "stream": true}"#,
                         #"{"model": "kjv-lstm128-k4x4x8", "max_tokens": 5}"#] {
                let response = try await offPool {
                    try connection.send(request: "POST", "/v1/completions", body: body, headers: [:], keepAlive: true)
                    return try connection.readResponse(seconds: 30)
                }
                #expect(response.status == 200 && response.header("connection") != "close", "\(body)")
            }
        }
        await TestModels.stop(server)
    }

    /// A client that hangs up mid-stream stops its generation: its sequence leaves the batch and no more
    /// characters are generated for it.
    @Test func disconnectedClientStopsItsGeneration() async throws {
        let server = try TestModels.server { $0.maxTokens = 1_000_000 }
        try await TestServer.run(server) { client in
            let connection = try RawConnection(port: client.port)
            try connection.post("/v1/completions", json: Self.endless)
            #expect(await connection.waitFor("data: ", seconds: 10))
            #expect(try await client.metric("kru_active_sequences", TestModels.lstm) == 1)
            connection.hangUp()

            #expect(try await eventually { try await client.metric("kru_active_sequences", TestModels.lstm) == 0 },
                    "the sequence must leave the batch")
            let generated = try await client.metric("kru_generated_tokens_total", TestModels.lstm)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await client.metric("kru_generated_tokens_total", TestModels.lstm) == generated,
                    "generation must have stopped")
            #expect(try #require(generated) < 1_000_000)

            // The same for a whole (not streamed) completion, where nothing is written until the end.
            let whole = try RawConnection(port: client.port)
            try whole.post("/v1/completions", json: Self.endless.replacingOccurrences(of: #""stream": true"#,
                                                                                    with: #""stream": false"#))
            #expect(try await eventually { try await client.metric("kru_active_sequences", TestModels.lstm) == 1 })
            whole.hangUp()
            #expect(try await eventually { try await client.metric("kru_active_sequences", TestModels.lstm) == 0 },
                    "the sequence of a whole completion must leave the batch too")
        }
        await TestModels.stop(server)
    }

    /// With the batch and the queue full, a request gets 503 with Retry-After at once; after the long one ends,
    /// requests are served again.
    @Test func fullQueueGets503WithRetryAfter() async throws {
        let server = try TestModels.server {
            $0.maxTokens = 1_000_000
            $0.maxBatch = 1
            $0.maxQueue = 1
        }
        try await TestServer.run(server) { client in
            let port = client.port
            let running = try RawConnection(port: port), queued = try RawConnection(port: port)
            try running.post("/v1/completions", json: Self.endless)
            #expect(await running.waitFor("data: ", seconds: 10))
            try queued.post("/v1/completions", json: Self.endless)
            #expect(try await eventually { try await client.metric("kru_queue_length", TestModels.lstm) == 1 })
            let refused = try await client.post("/v1/completions", json: #"{"model": "kjv-lstm128-k4x4x8"}"#)
            #expect(refused.status == 503)
            #expect(refused.header("retry-after") == "1")
            #expect(try refused.errorMessage.contains("busy"))
            // Another model has its own batch and queue.
            let other = try await client.post("/v1/completions", json: #"{"model": "kjv-kru512", "max_tokens": 2}"#)
            #expect(other.status == 200)
            running.hangUp()
            queued.hangUp()
            #expect(try await eventually {
                try await client.post("/v1/completions", json: #"{"model": "kjv-lstm128-k4x4x8"}"#).status == 200
            })
        }
        await TestModels.stop(server)
    }

    /// A completion that cannot finish within the request time limit ends with 503 (or, once streaming, an error
    /// event), saying so.
    @Test func requestTimeLimitEndsLongCompletions() async throws {
        let server = try TestModels.server {
            $0.maxTokens = 1_000_000
            $0.requestTimeout = 0.3
        }
        try await TestServer.run(server) { client in
            let whole = try await client.post("/v1/completions", json: """
                {"model": "kjv-lstm128-k4x4x8", "prompt": "And", "max_tokens": 1000000}
                """)
            #expect(whole.status == 503)
            #expect(try whole.errorMessage.contains("time limit of 0.3 s"))
            let stream = try await client.post("/v1/completions", json: Self.endless)
            #expect(stream.status == 200)
            let last = try #require(stream.events.last)
            #expect(last.contains("\"error\"") && last.contains("time limit"))
        }
        await TestModels.stop(server)
    }

    /// SIGTERM's drain: running generations finish (within the grace period), new requests get 503, /health says
    /// draining; generations that outlast the grace period end with an error event.
    @Test func drainFinishesRunningWorkAndRefusesNewWork() async throws {
        let server = try TestModels.server {
            $0.maxTokens = 1_000_000
            $0.shutdownGrace = 20
        }
        try await TestServer.run(server) { client in
            let port = client.port
            let finite = try RawConnection(port: port)
            try finite.post("/v1/completions", json: """
                {"model": "kjv-lstm128-k4x4x8", "prompt": "And", "max_tokens": 400, "stream": true, "seed": 9}
                """)
            #expect(await finite.waitFor("data: ", seconds: 10))
            let drain = Task { await server.drain.drain() }
            #expect(try await eventually { try await client.get("/health").status == 503 })
            #expect(try await client.get("/health").object["status"] as? String == "draining")
            let refused = try await client.post("/v1/completions", json: #"{"model": "kjv-kru512"}"#)
            #expect(refused.status == 503)
            #expect(try refused.errorMessage.contains("shutting down"))
            #expect(await finite.waitFor("data: [DONE]", seconds: 20), "the running stream must complete")
            let expected = try await KRUExecutable.sample(model: TestModels.lstm, prompt: "And", length: 400, seed: 9)
            #expect(streamedText(finite.text) == expected)
            await drain.value
        }

        let impatient = try TestModels.server {
            $0.maxTokens = 1_000_000
            $0.shutdownGrace = 0.2
        }
        try await TestServer.run(impatient) { client in
            let endless = try RawConnection(port: client.port)
            try endless.post("/v1/completions", json: Self.endless)
            #expect(await endless.waitFor("data: ", seconds: 10))
            await impatient.drain.drain()
            #expect(await endless.waitFor("shut down", seconds: 30), "the cut stream must say why")
        }
    }
}

/// The text of choice 0 in a raw event-stream response.
func streamedText(_ response: String) -> String {
    response.components(separatedBy: "\n\n").compactMap { event -> String? in
        guard let start = event.range(of: "data: {")?.lowerBound,
              let object = try? JSONSerialization.jsonObject(with: Data(event[event.index(start, offsetBy: 6)...].utf8))
                as? [String: Any]
        else { return nil }
        return try? choiceText(object)
    }.joined()
}
