import Hummingbird

/// A request the server refuses or cannot complete: an HTTP status and one line saying why, sent as
/// `{"error": {"message": …, "type": …, "code": status}}` (the shape OpenAI-style clients expect).
struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    let status: HTTPResponse.Status
    /// One line, for people: what was wrong and, where it helps, what would be accepted.
    let message: String
    /// Seconds after which a retry may succeed (sent as `Retry-After`), for 503s.
    var retryAfter: Int?

    init(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message.replacingOccurrences(of: "\n", with: " ")
        self.retryAfter = retryAfter
    }

    var description: String { "\(status.code) \(message)" }

    /// The OpenAI error type that best names the status.
    var type: String {
        switch status.code {
        case 404: "not_found_error"
        case 408: "timeout_error"
        case 413: "request_too_large"
        case 503: "overloaded_error"
        case 400..<500: "invalid_request_error"
        default: "server_error"
        }
    }

    /// The JSON body, also used for an error that ends an event stream.
    var json: JSONValue {
        .object([("error", .object([("message", .string(message)), ("type", .string(type)),
                                    ("code", .int(Int(status.code)))]))])
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response.json(json, status: status)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

extension APIError {
    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
}

extension Response {
    /// A JSON response (`application/json`, the document followed by a newline).
    static func json(_ document: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: document.text + "\n")))
    }
}
