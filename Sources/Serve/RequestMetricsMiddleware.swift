import Hummingbird

/// Counts every request by endpoint and status and times it to its last byte (for event streams, the end of
/// the stream), and turns any error into the API's JSON error so every failure has the same shape.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    static var endpoints: Set<String> { ["/v1/completions", "/v1/score", "/v1/models", "/health", "/metrics"] }

    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        // Label by route, never by raw path, so that probing clients cannot grow the label set.
        let endpoint = Self.endpoints.contains(request.uri.path) ? request.uri.path : "other"
        var response: Response
        do {
            response = try await next(request, context)
        } catch is CancellationError {
            metrics.recordRequest(endpoint: endpoint, status: 499, duration: .now - started)  // client closed
            throw CancellationError()
        } catch {
            let failure = Self.apiError(error, request: request)
            metrics.recordRequest(endpoint: endpoint, status: Int(failure.status.code), duration: .now - started)
            return try failure.response(from: request, context: context)
        }
        let status = Int(response.status.code)
        guard response.body.contentLength == nil else {
            metrics.recordRequest(endpoint: endpoint, status: status, duration: .now - started)
            return response
        }
        let body = response.body
        let metrics = self.metrics
        response.body = ResponseBody { writer in
            defer { metrics.recordRequest(endpoint: endpoint, status: status, duration: .now - started) }
            try await body.write(writer)
        }
        return response
    }

    /// The API error for anything a handler or the router threw.
    static func apiError(_ error: any Error, request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as any HTTPResponseError where error.status == .notFound:
            return APIError(.notFound, "no endpoint \(request.method) \(request.uri.path); the endpoints are POST "
                            + "/v1/completions, POST /v1/score, GET /v1/models, GET /health, GET /metrics")
        case let error as any HTTPResponseError:
            return APIError(error.status, "\(error.status.reasonPhrase) (\(request.method) \(request.uri.path))")
        default:
            return APIError(.internalServerError, "internal error: \(error)")
        }
    }
}
