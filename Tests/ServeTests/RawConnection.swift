import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain TCP connection to the test server on loopback, for what an HTTP client library hides: sending a
/// request a few bytes at a time, hanging up in the middle of a response, reading until the server closes.
final class RawConnection: @unchecked Sendable {
    private let socket: Int32
    private(set) var received = Data()

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw RawConnectionError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            throw RawConnectionError("connect() to port \(port) failed")
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)  // reads wake up every 0.1 s to check their deadline
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    private var isOpen = true

    deinit { hangUp() }

    /// Closes the connection (a client that goes away).
    func hangUp() {
        guard isOpen else { return }
        isOpen = false
        close(socket)
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw RawConnectionError("send() failed") }
    }

    /// A POST with a JSON body, as one write.
    func post(_ path: String, json: String) throws {
        try send(request: "POST", path, body: json, headers: ["Content-Type": "application/json"])
    }

    /// A request, as one write (`Content-Length` from the body; unless `keepAlive`, the connection closes after
    /// the response).
    func send(request method: String, _ path: String, body: String?, headers: [String: String],
              keepAlive: Bool = false) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n" + (keepAlive ? "" : "Connection: close\r\n")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.utf8.count)\r\n" }
        try send(head + "\r\n" + (body ?? ""))
    }

    /// Reads one whole response (by Content-Length, chunked encoding, or until the server closes), and drops it from
    /// ``received`` so the next response on the connection can be read.
    func readResponse(seconds: Double) throws -> HTTPResult {
        let deadline = Date().addingTimeInterval(seconds)
        func more() throws -> Bool {
            guard Date() < deadline else { throw RawConnectionError("no complete response within \(seconds) s") }
            return readOnce()
        }
        let separator = Data("\r\n\r\n".utf8)
        var headEnd = received.range(of: separator)
        while headEnd == nil {
            guard try more() else { throw RawConnectionError("closed before the headers: \(text)") }
            headEnd = received.range(of: separator)
        }
        let head = String(decoding: received[..<headEnd!.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1])!
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[line[..<colon].lowercased()] = value
        }
        var rest = Data(received[headEnd!.upperBound...])
        var body = Data()
        if let length = headers["content-length"].flatMap(Int.init) {
            while rest.count < length {
                guard try more() else { throw RawConnectionError("body cut short") }
                rest = Data(received[headEnd!.upperBound...])
            }
            body = rest.prefix(length)
            consume(headEnd!.upperBound + length)
        } else if headers["transfer-encoding"] == "chunked" {
            var offset = 0
            while true {
                // One chunk: hex size, CRLF, data, CRLF; size 0 ends the body.
                guard let line = rest[offset...].range(of: Data("\r\n".utf8)) else {
                    guard try more() else { throw RawConnectionError("chunked body cut short") }
                    rest = Data(received[headEnd!.upperBound...])
                    continue
                }
                let size = Int(String(decoding: rest[offset..<line.lowerBound], as: UTF8.self), radix: 16)!
                if size == 0 {
                    while rest.count < line.upperBound + 2 {  // the CRLF after the last chunk
                        guard try more() else { break }
                        rest = Data(received[headEnd!.upperBound...])
                    }
                    consume(headEnd!.upperBound + line.upperBound + 2)
                    break
                }
                guard rest.count >= line.upperBound + size + 2 else {
                    guard try more() else { throw RawConnectionError("chunked body cut short") }
                    rest = Data(received[headEnd!.upperBound...])
                    continue
                }
                body.append(rest[line.upperBound..<line.upperBound + size])
                offset = line.upperBound + size + 2
            }
        } else {
            while try more() {}
            body = Data(received[headEnd!.upperBound...])
            consume(received.count)
        }
        return HTTPResult(status: status, headers: headers, body: body)
    }

    /// Reads until `marker` has arrived, the server closes, or `seconds` pass; returns whether the marker came.
    @discardableResult
    func read(until marker: String, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if text.contains(marker) { return true }
            if !readOnce() { return text.contains(marker) }
        }
        return text.contains(marker)
    }

    /// Reads until the server closes the connection or `seconds` pass; returns whether it closed.
    func readUntilClosed(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if !readOnce() { return true }
        }
        return false
    }

    var text: String { String(decoding: received, as: UTF8.self) }

    /// Drops the first `count` bytes received (a response that has been read), keeping indices 0-based.
    private func consume(_ count: Int) {
        received = Data(received.dropFirst(min(count, received.count)))
    }

    /// ``read(until:seconds:)`` on a thread of its own (see ``offPool(_:)``).
    func waitFor(_ marker: String, seconds: Double) async -> Bool {
        (try? await offPool { self.read(until: marker, seconds: seconds) }) ?? false
    }

    /// ``readUntilClosed(seconds:)`` on a thread of its own.
    func waitUntilClosed(seconds: Double) async -> Bool {
        (try? await offPool { self.readUntilClosed(seconds: seconds) }) ?? false
    }

    /// One read; false once the peer closed (or the connection failed).
    private func readOnce() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            received.append(contentsOf: buffer[0..<count])
            return true
        }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return true }
        return false
    }
}

struct RawConnectionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs blocking work (sockets, child processes) on a thread of its own and awaits it, so tests never block the
/// small concurrency pool (one thread per core) that the server under test needs.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
