import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Watches one HTTP connection for what the request handlers cannot see:
///
/// - **slow-loris clients**, which hold a connection open by sending headers a byte at a time: a client that has
///   not completed a request's headers within the timeout on a new connection gets `408 Request Timeout` with the
///   API's JSON error and the connection is closed; between requests on a kept-alive connection the same timeout
///   closes it without a response, as an idle keep-alive connection is. (Bodies have their own deadline where
///   they are read.)
/// - **a client that goes away**: when the connection's input ends (the client closed its side; HTTP/1 clients do
///   not half-close) or the connection closes, the request in progress is cancelled through ``liveness``, so its
///   generation stops at the next step even while nothing is being written to it.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let liveness = ConnectionLiveness()
    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var requestsSeen = 0

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        liveness.clientGone()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { liveness.clientGone() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            requestsSeen += 1
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context) }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext) {
        disarm()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            handler.expire(context)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }

    private func expire(_ context: ChannelHandlerContext) {
        deadline = nil
        guard requestsSeen == 0 else {
            context.close(promise: nil)
            return
        }
        let seconds = Double(timeout.nanoseconds) / 1e9
        let error = APIError(.requestTimeout, "the request headers did not arrive within \(formatSeconds(seconds)) s")
        let body = ByteBuffer(string: error.json.text + "\n")
        let head = HTTPResponse(status: .requestTimeout, headerFields: [
            .contentType: "application/json", .contentLength: String(body.readableBytes), .connection: "close",
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}

/// Whether a connection's client is still there, for the request in progress on it: the request registers its
/// cancellation, and the connection's ``ConnectionGuard`` fires it when the client goes away. One slot per
/// connection (HTTP/1 serves one request at a time), so nothing accumulates on a long kept-alive connection.
final class ConnectionLiveness: @unchecked Sendable {
    private let lock = NSLock()
    private var current: RequestCancellation?
    private var gone = false

    /// Cancels `cancellation` when the client goes away (at once if it already has) until ``unwatch(_:)``.
    func watch(_ cancellation: RequestCancellation) {
        let alreadyGone: Bool = lock.withLock {
            current = cancellation
            return gone
        }
        if alreadyGone { cancellation.cancel() }
    }

    func unwatch(_ cancellation: RequestCancellation) {
        lock.withLock { if current === cancellation { current = nil } }
    }

    fileprivate func clientGone() {
        let cancellation: RequestCancellation? = lock.withLock {
            gone = true
            defer { current = nil }
            return current
        }
        cancellation?.cancel()
    }
}

/// The request context of the server's routes: Hummingbird's basic context plus the connection's liveness.
struct ServeRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The liveness of this request's connection (one hop to the connection's event loop).
    func connectionLiveness() async throws -> ConnectionLiveness {
        let channel = self.channel
        return try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: ConnectionGuard.self).liveness
        }.get()
    }
}
