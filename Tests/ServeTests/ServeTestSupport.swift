import Foundation
import Logging
import ServiceLifecycle
import Testing
@testable import KRUServe

/// A models directory for the tests: two zoo character models (a KRU and a Kronecker-factored LSTM), one model
/// the server must skip (a pixel classifier), and the zoo's manifest.
enum TestModels {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let kru = "kjv-kru512"
    static let lstm = "kjv-lstm128-k4x4x8"
    static let classifier = "mnist5k-kru128"

    static let directory: String = {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kru-serve-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Gone when the test process exits, so that test runs do not each leave a directory behind.
        atexit { try? FileManager.default.removeItem(atPath: TestModels.directory) }
        for file in [kru + ".kru", lstm + ".kru", classifier + ".kru", "zoo.json"] {
            let target = directory.appendingPathComponent(file)
            try? FileManager.default.removeItem(at: target)
            try! FileManager.default.createSymbolicLink(
                at: target, withDestinationURL: modelsFolder.appendingPathComponent(file))
        }
        return directory.path
    }()

    static var modelsFolder: URL { root.appendingPathComponent("models") }

    static let logger: Logger = {
        var logger = Logger(label: "kru-serve-tests")
        logger.logLevel = .warning
        return logger
    }()

    /// A server over ``directory`` with `limits`; stop its workers with ``stop(_:)``.
    static func server(_ configure: (inout ServerLimits) -> Void = { _ in }) throws -> KRUServer {
        var configuration = ServerConfiguration(modelsDirectory: directory)
        configure(&configuration.limits)
        configuration.port = 0
        return try KRUServer(configuration: configuration, logger: logger)
    }

    /// Ends a test server's batch workers.
    static func stop(_ server: KRUServer) async {
        await server.drain.drain()
    }
}

/// Runs the built `kru` executable (SwiftPM builds it before the tests, which depend on it).
enum KRUExecutable {
    static func run(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await offPool { try runBlocking(arguments) }
    }

    private static func runBlocking(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        // The test runner is .build/<triple>/<configuration>/kruPackageTests.xctest; `kru` is built beside it.
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let process = Process()
        process.executableURL = products.appendingPathComponent("kru")
        process.arguments = arguments
        process.currentDirectoryURL = TestModels.root
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("kru-out-\(UUID().uuidString)")
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("kru-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: errors)
        }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8),
                try String(contentsOf: errors, encoding: .utf8))
    }

    /// The text `kru sample` generates (without the echoed prompt and the final newline).
    static func sample(model: String, prompt: String, length: Int, seed: UInt64, temperature: Double = 1,
                       topK: Int = 0, topP: Double = 1) async throws -> String {
        var arguments = ["sample", "models/\(model).kru", "--length", String(length), "--seed", String(seed),
                         "--temperature", String(temperature), "--top-p", String(topP), "--no-echo"]
        if topK > 0 { arguments += ["--top-k", String(topK)] }  // the server's top_k 0 is `kru sample` without it
        if !prompt.isEmpty { arguments += ["--prime", prompt] }
        let result = try await run(arguments)
        #expect(result.status == 0, "kru sample failed: \(result.stderr)")
        return String(result.stdout.dropLast())  // kru sample ends its output with a newline
    }
}

/// A test server listening on a free loopback port, in this process, for the duration of `body`.
enum TestServer {
    static func run(_ server: KRUServer, _ body: @Sendable (TestClient) async throws -> Void) async throws {
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let application = server.application { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [application], logger: TestModels.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await body(TestClient(port: port))
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

/// HTTP/1.1 requests to a test server, one connection each. The socket work runs on a thread of its own, so that
/// a test sending many requests at once never blocks the concurrency pool the server's handlers run on.
struct TestClient: Sendable {
    let port: Int

    func execute(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:])
        async throws -> HTTPResult {
        let port = self.port
        return try await offPool {
            let connection = try RawConnection(port: port)
            try connection.send(request: method, path, body: body, headers: headers)
            return try connection.readResponse(seconds: 120)
        }
    }

    func post(_ path: String, json: String) async throws -> HTTPResult {
        try await execute("POST", path, body: json, headers: ["Content-Type": "application/json"])
    }

    func get(_ path: String) async throws -> HTTPResult { try await execute("GET", path) }

    /// The Prometheus exposition.
    func metrics() async throws -> String { try await get("/metrics").text }

    /// The value of metric `name` for model `model`, or nil if it is not exposed.
    func metric(_ name: String, _ model: String) async throws -> Double? {
        metricValue(try await metrics(), "\(name){model=\"\(model)\"}")
    }
}

/// A parsed HTTP response.
struct HTTPResult: Sendable {
    let status: Int
    /// Header fields by lower-case name.
    let headers: [String: String]
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The body parsed as a JSON object by Foundation's parser (an oracle independent of the server's writer).
    var object: [String: Any] {
        get throws {
            let parsed = try JSONSerialization.jsonObject(with: body)
            return try #require(parsed as? [String: Any], "not a JSON object: \(text)")
        }
    }

    /// The error message of a JSON error response.
    var errorMessage: String {
        get throws {
            let error = try #require(try object["error"] as? [String: Any], "not an error: \(text)")
            return try #require(error["message"] as? String)
        }
    }

    /// The `data:` payloads of an event stream, in order.
    var events: [String] {
        text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { event in
            event.hasPrefix("data: ") ? String(event.dropFirst(6)) : "not an event: \(event)"
        }
    }
}

/// Whether `condition` becomes true within `seconds` (checked every 20 ms).
func eventually(seconds: Double = 5, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// The text of choice `index` of a completion object.
func choiceText(_ completion: [String: Any], _ index: Int = 0) throws -> String {
    let choices = try #require(completion["choices"] as? [[String: Any]])
    return try #require(choices.first { ($0["index"] as? Int) == index }?["text"] as? String)
}
