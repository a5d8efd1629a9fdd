import NIOCore

/// Closes the connection when the client closes its side. The HTTP server allows half-closed
/// connections, so without this a client that gave up would leave its statement running (and
/// the connection's `closeFuture` pending) until the response is written; Sluice's clients never
/// half-close while awaiting an answer, so end of input means the client is gone.
final class DisconnectHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
