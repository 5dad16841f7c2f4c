import Foundation
import Hummingbird
import NIOCore

/// Reading a JSON request object strictly: unknown fields, wrong types and malformed JSON are refused with one
/// line naming the field, so a typo (`max_token`) is an error rather than a silently ignored setting.
struct JSONObjectReader {
    private let container: KeyedDecodingContainer<FieldName>

    /// - Parameters:
    ///   - allowed: the fields the endpoint knows; any other is refused, listing these.
    ///   - name: what the object is, for messages.
    init(_ decoder: any Decoder, allowed: [String], name: String = "the request body") throws {
        do {
            container = try decoder.container(keyedBy: FieldName.self)
        } catch {
            throw APIError.badRequest("\(name) must be a JSON object")
        }
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            let known = allowed.joined(separator: ", ")
            throw APIError.badRequest("unknown field \"\(unknown)\"; this endpoint accepts \(known)")
        }
    }

    /// The value of `field`, or nil when it is absent or null.
    /// - Parameter expected: what the field must be, for the message ("a number", "a string").
    func optional<T: Decodable>(_ field: String, _ type: T.Type, expected: String) throws -> T? {
        let key = FieldName(field)
        do {
            guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
            return try container.decode(type, forKey: key)
        } catch let error as APIError {
            throw error  // from a nested object's own reader, naming its field
        } catch {
            throw APIError.badRequest("\(field) must be \(expected)")
        }
    }

    /// The value of `field` when it may be one string or a list of strings (one string is a list of one), or nil when
    /// it is absent or null.
    func strings(_ field: String, expected: String) throws -> [String]? {
        if let single = try? optional(field, String.self, expected: expected) { return [single] }
        return try optional(field, [String].self, expected: expected)
    }

    /// The value of `field`, which must be present.
    func required<T: Decodable>(_ field: String, _ type: T.Type, expected: String) throws -> T {
        guard let value = try optional(field, type, expected: expected) else {
            throw APIError.badRequest("\(field) is required")
        }
        return value
    }
}

/// Any field name (the readers list and check them themselves).
struct FieldName: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

extension Request {
    /// The body decoded as `T`, read within the limits: bodies over `maxBytes` get 413, bodies that take longer
    /// than `timeout` seconds to arrive (a slow-loris client) 408, malformed JSON 400.
    func decodeJSON<T: Decodable>(_ type: T.Type, maxBytes: Int, timeout: Double) async throws -> T {
        if let declared = headers[.contentLength].flatMap(Int.init), declared > maxBytes {
            throw APIError(.contentTooLarge, "the request body has \(declared) bytes; the limit is \(maxBytes)")
        }
        let body = self.body
        let buffer: ByteBuffer
        do {
            buffer = try await withDeadline(seconds: timeout) { try await body.collect(upTo: maxBytes) }
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "the request body is larger than the limit of \(maxBytes) bytes")
        } catch is DeadlinePassed {
            throw APIError(.requestTimeout, "the request body did not arrive within \(formatSeconds(timeout)) s")
        }
        guard buffer.readableBytes > 0 else {
            throw APIError.badRequest("the request body is empty; send a JSON object")
        }
        do {
            return try JSONDecoder().decode(type, from: Data(buffer.readableBytesView))
        } catch let error as APIError {
            throw error
        } catch let DecodingError.dataCorrupted(context) {
            let reason = (context.underlyingError.map { "\($0)" } ?? context.debugDescription)
            throw APIError.badRequest("the request body is not valid JSON: \(Self.firstLine(reason))")
        } catch {
            throw APIError.badRequest("the request body is not valid JSON: \(Self.firstLine("\(error)"))")
        }
    }

    private static func firstLine(_ text: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? text
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }
}

/// Thrown by ``withDeadline(seconds:_:)`` when the time ran out.
struct DeadlinePassed: Error {}

/// The result of `operation`, or ``DeadlinePassed`` if it takes longer than `seconds` (the operation is cancelled).
func withDeadline<T: Sendable>(seconds: Double,
                               _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw DeadlinePassed()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Seconds for messages: whole numbers without a fraction ("10", "2.5").
func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int(seconds)) : String(seconds)
}
