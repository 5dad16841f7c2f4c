import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Where and what a server serves.
public struct ServerConfiguration: Sendable {
    public var modelsDirectory: String
    public var host = "127.0.0.1"
    public var port = 8080
    public var limits = ServerLimits()

    public init(modelsDirectory: String) { self.modelsDirectory = modelsDirectory }
}

/// The HTTP server: routes, the models' batch workers, metrics and the graceful-shutdown drain.
public struct KRUServer: Sendable {
    let catalog: ModelCatalog
    let metrics = ServerMetrics()
    let drain: DrainService
    public let configuration: ServerConfiguration
    let logger: Logger

    /// Loads every character model of the configured directory and starts a batch worker for each.
    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        catalog = try ModelCatalog(directory: configuration.modelsDirectory, limits: configuration.limits,
                                   metrics: metrics, logger: logger)
        drain = DrainService(workers: catalog.workers, grace: configuration.limits.shutdownGrace, logger: logger)
    }

    /// The Hummingbird application. ``run()`` runs it in one service group with the drain, so that SIGTERM first
    /// stops new work and lets the running generations finish, then closes the server.
    /// - Parameter onServerRunning: called with the listening channel (its local address has the bound port).
    public func application(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
        -> some ApplicationProtocol {
        let limits = configuration.limits
        let router = Router(context: ServeRequestContext.self)
        router.middlewares.add(RequestMetricsMiddleware(metrics: metrics))
        let scoreSlots = ScoreSlots(capacity: limits.maxConcurrentScores, queueCapacity: limits.maxQueuedScores,
                                    maxWait: limits.requestTimeout, metrics: metrics.scoring())
        let completions = CompletionEndpoint(catalog: catalog, limits: limits, scoreSlots: scoreSlots)
        let scores = ScoreEndpoint(catalog: catalog, limits: limits, slots: scoreSlots)
        router.post("/v1/completions") { request, context in
            try await completions.respond(request, context: context)
        }
        router.post("/v1/score") { request, context in try await scores.respond(request, context: context) }
        router.get("/v1/models") { _, _ in Response.json(modelList()) }
        router.get("/health") { _, _ in health() }
        router.get("/metrics") { [metrics] _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        let readTimeout = TimeAmount.nanoseconds(Int64(limits.readTimeout * 1e9))
        return Application(
            router: router,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [ConnectionGuard(timeout: readTimeout)],
                idleTimeout: .seconds(Int64(max(limits.readTimeout, 60))))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 serverName: "kru-serve"),
            onServerRunning: onServerRunning,
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then drains and stops.
    public func run() async throws {
        let application = application { [logger] channel in
            logger.info("listening on \(channel.localAddress?.description ?? "?")")
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: application), .init(service: drain)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    private func modelList() -> JSONValue {
        .object([("object", "list"), ("data", .array(catalog.names.map { name in
            let entry = catalog.entries[name]!
            let model = entry.model
            var kru: [(String, JSONValue)] = [
                ("file", .string((model.path as NSString).lastPathComponent)),
                ("cells", .array(model.cells.map(JSONValue.string))),
                ("hidden_sizes", .array(model.hiddenSizes.map(JSONValue.int))),
                ("vocabulary_size", .int(model.vocabularySize)),
                ("parameters", .int(model.parameterCount)),
                ("recurrent_parameters", .int(model.recurrentParameterCount)),
            ]
            if let card = entry.card {
                kru += [("task", card.task.map(JSONValue.string) ?? .null),
                        ("summary", card.summary.map(JSONValue.string) ?? .null),
                        ("card", card.card.map(JSONValue.string) ?? .null),
                        ("headline", card.headline.map(JSONValue.string) ?? .null)]
            }
            return .object([("id", .string(name)), ("object", "model"), ("created", .int(entry.created)),
                            ("owned_by", "kru"), ("kru", .object(kru))])
        }))])
    }

    /// 200 while serving, 503 while draining (so load balancers and orchestrators stop sending work).
    private func health() -> Response {
        let draining = drain.isDraining
        return Response.json(.object([("status", .string(draining ? "draining" : "ok")),
                                      ("models", .int(catalog.names.count))]),
                             status: draining ? .serviceUnavailable : .ok)
    }
}
