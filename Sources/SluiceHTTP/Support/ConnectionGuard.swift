package import HummingbirdCore
package import Logging
package import NIOCore
import NIOHTTPTypes
import Synchronization

/// The HTTP port's limits on connections and on how slowly a client may speak
/// (`server.max_http_connections`, `server.header_timeout_seconds`, `server.idle_timeout_seconds`,
/// `server.body_timeout_seconds`).
package struct HTTPConnectionLimits: Sendable {
    /// Open connections at once; one more is closed at accept.
    package var maxConnections = 4096
    /// From a request's first byte to its complete head (a slow-loris head is cut here).
    package var headerTimeout: TimeAmount = .seconds(30)
    /// Idle between requests (keep-alive) before the connection is closed.
    package var idleTimeout: TimeAmount = .seconds(60)
    /// Longest silence while a request body is arriving.
    package var bodyTimeout: TimeAmount = .seconds(60)

    package init() {}
}

/// Open HTTP connections, shared by every connection's guard.
package final class ConnectionCount: Sendable {
    private let open = Atomic<Int>(0)
    package init() {}
    package var current: Int { open.load(ordering: .relaxed) }
    func enter() -> Int { open.wrappingAdd(1, ordering: .relaxed).newValue }
    func leave() { open.wrappingSubtract(1, ordering: .relaxed) }
}

/// Wraps the HTTP child channel so ``RawTrafficGuard`` sees the socket's bytes first (before TLS
/// and the HTTP decoder): it alone can tell a slow request head from an idle connection.
package struct GuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    package typealias Value = Base.Value
    let base: Base
    let limits: HTTPConnectionLimits
    let count: ConnectionCount
    let logger: Logger

    package init(_ base: Base, limits: HTTPConnectionLimits, count: ConnectionCount, logger: Logger) {
        self.base = base
        self.limits = limits
        self.count = count
        self.logger = logger
    }

    package func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                RawTrafficGuard(limits: limits, count: count, logger: self.logger), position: .first)
        }.flatMap { base.setup(channel: channel, logger: logger) }
    }

    package func handle(value: Value, logger: Logger) async { await base.handle(value: value, logger: logger) }
}

/// Where a connection is in its request cycle; each phase has its own clock.
enum ConnectionPhase: Equatable {
    /// Between requests: `idleTimeout` runs.
    case idle
    /// Bytes of a request head arrived: `headerTimeout` runs from the first one.
    case head
    /// The head is complete and the body is arriving: `bodyTimeout` runs from the last byte.
    case body
    /// The request is read; the server is working on it: no clock.
    case busy
}

/// Counts the connection, and closes it when the phase's clock runs out (see ``ConnectionPhase``).
/// ``RequestPhaseHandler``, behind the HTTP decoder, reports where requests start and end.
final class RawTrafficGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limits: HTTPConnectionLimits
    private let count: ConnectionCount
    private let logger: Logger
    private var counted = false
    private var phase = ConnectionPhase.idle
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(limits: HTTPConnectionLimits, count: ConnectionCount, logger: Logger) {
        self.limits = limits
        self.count = count
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { activate(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context)
        context.fireChannelActive()
    }

    private func activate(_ context: ChannelHandlerContext) {
        guard !counted else { return }
        counted = true
        if count.enter() > limits.maxConnections {
            logger.warning(
                "HTTP connection refused: server.max_http_connections reached",
                metadata: ["limit": "\(limits.maxConnections)"])
            context.close(promise: nil)
            return
        }
        enter(.idle)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        if counted {
            counted = false
            count.leave()
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .idle: enter(.head)
        case .body: enter(.body)  // the body clock restarts with each byte
        case .head, .busy: break
        }
        context.fireChannelRead(data)
    }

    /// Requests whose response is not complete yet.
    private var outstanding = 0

    /// The decoder produced a request head.
    func headReceived() {
        outstanding += 1
        enter(.body)
    }

    /// The decoder produced a request's end: the server works on it — unless it already answered
    /// (a refusal sent before the body), when the connection is idle again.
    func requestEnded() { enter(outstanding > 0 ? .busy : .idle) }

    /// A response's end was written.
    func responseEnded() {
        outstanding = max(0, outstanding - 1)
        if phase != .body { enter(outstanding > 0 ? .busy : .idle) }
    }

    private func enter(_ next: ConnectionPhase) {
        let restart = next != phase || next == .body
        phase = next
        guard restart, let context else { return }
        timer?.cancel()
        timer = nil
        let (limit, setting, what): (TimeAmount, String, String)
        switch next {
        case .idle: (limit, setting, what) = (limits.idleTimeout, "server.idle_timeout_seconds", "idle")
        case .head:
            (limit, setting, what) = (limits.headerTimeout, "server.header_timeout_seconds", "request head incomplete")
        case .body: (limit, setting, what) = (limits.bodyTimeout, "server.body_timeout_seconds", "request body stalled")
        case .busy: return
        }
        let logger = self.logger
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: limit) {
            logger.debug(
                "HTTP connection closed: \(what) for \(limit.nanoseconds / 1_000_000_000) s (\(setting))",
                metadata: ["client": "\(loopBound.value.channel.remoteAddress?.description ?? "?")"])
            loopBound.value.close(promise: nil)
        }
    }
}

/// Behind the HTTP decoder: tells the connection's ``RawTrafficGuard`` where each request's head
/// and end are and when its response is complete.
final class RequestPhaseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var raw: RawTrafficGuard?

    func handlerAdded(context: ChannelHandlerContext) {
        raw = try? context.pipeline.syncOperations.handler(type: RawTrafficGuard.self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: raw?.headReceived()
        case .end: raw?.requestEnded()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { raw?.responseEnded() }
        context.write(data, promise: promise)
    }
}
