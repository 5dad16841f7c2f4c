import ArgumentParser
import Foundation
import KRUServe
import Logging

/// `kru-serve`: the HTTP inference server (docs/SERVING.md).
@main
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kru-serve",
        abstract: "Serve the character models of a directory over HTTP (OpenAI-style completions, scoring, metrics).",
        discussion: """
            Endpoints: POST /v1/completions (stream: true for server-sent events), POST /v1/score, GET /v1/models, \
            GET /health, GET /metrics (Prometheus). Requests for the same model are batched into one step per \
            character. SIGTERM or SIGINT stops new work, lets running generations finish for --shutdown-grace \
            seconds, then exits. See docs/SERVING.md.
            """
    )

    @Option(help: "Directory whose .kru character models are served (model name = file name without .kru).")
    var models: String
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(help: "Sequences advanced together per model and step.") var maxBatch = ServerLimits().maxBatch
    @Option(help: "Sequences that may wait for a batch slot per model; beyond, 503 with Retry-After.")
    var maxQueue = ServerLimits().maxQueue
    @Option(help: "Largest max_tokens a request may ask for.") var maxTokens = ServerLimits().maxTokens
    @Option(help: "Longest prompt, in characters.") var maxPrompt = ServerLimits().maxPromptCharacters
    @Option(help: "Longest text /v1/score takes, in characters.") var maxScore = ServerLimits().maxScoreCharacters
    @Option(help: "Largest request body, in bytes.") var maxBody = ServerLimits().maxBodyBytes
    @Option(help: "Seconds a request may take, queueing included.") var timeout = ServerLimits().requestTimeout
    @Option(help: "Seconds a client may take to send its request.") var readTimeout = ServerLimits().readTimeout
    @Option(help: "Seconds between two writes of an event stream, at least (characters made meanwhile share one).")
    var streamInterval = ServerLimits().streamInterval
    @Option(help: "Threads generating each model's sequences (default: one per core).")
    var threads = ServerLimits().threadsPerModel
    @Option(help: "MiB of states kept after prompts seen before (all models), which are not fed again (0: off).")
    var promptCache = ServerLimits().promptCacheBytes >> 20
    @Option(help: "Seconds running generations may continue after SIGTERM.")
    var shutdownGrace = ServerLimits().shutdownGrace
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0 … 65535") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level") }
        for (name, value) in [("--max-batch", maxBatch), ("--max-tokens", maxTokens), ("--max-prompt", maxPrompt),
                              ("--max-score", maxScore), ("--max-body", maxBody)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must be 0 or more") }
        guard (0...65536).contains(promptCache) else {
            throw ValidationError("--prompt-cache must be in 0 … 65536 MiB")
        }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1 … 256") }
        guard streamInterval.isFinite, (0...1).contains(streamInterval) else {
            throw ValidationError("--stream-interval must be in 0 … 1 seconds")
        }
        for (name, value) in [("--timeout", timeout), ("--read-timeout", readTimeout)]
        where !(value.isFinite && value > 0 && value <= 86_400) {
            throw ValidationError("\(name) must be a number of seconds in (0, 86400]")
        }
        guard shutdownGrace.isFinite, (0...3600).contains(shutdownGrace) else {
            throw ValidationError("--shutdown-grace must be in 0 … 3600 seconds")
        }
    }

    func run() async throws {
        var logger = Logger(label: "kru-serve")
        logger.logLevel = Logger.Level(rawValue: logLevel)!
        var configuration = ServerConfiguration(modelsDirectory: models)
        configuration.host = host
        configuration.port = port
        configuration.limits.maxBatch = maxBatch
        configuration.limits.promptCacheBytes = promptCache << 20
        configuration.limits.maxQueue = maxQueue
        configuration.limits.maxTokens = maxTokens
        configuration.limits.maxPromptCharacters = maxPrompt
        configuration.limits.maxScoreCharacters = maxScore
        configuration.limits.maxBodyBytes = maxBody
        configuration.limits.requestTimeout = timeout
        configuration.limits.readTimeout = readTimeout
        configuration.limits.shutdownGrace = shutdownGrace
        configuration.limits.streamInterval = streamInterval
        configuration.limits.threadsPerModel = threads
        let server: KRUServer
        do {
            server = try KRUServer(configuration: configuration, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("kru-serve: \(error)\n".utf8))
            throw ExitCode(1)
        }
        try await server.run()
    }
}
