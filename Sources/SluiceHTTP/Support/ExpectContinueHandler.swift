import HTTPTypes
package import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` as soon as the head arrives, so curl sends the body without its
/// one-second wait. Requests that will be refused before their body (bad credentials, a Stream
/// Load whose headers already fail) get no `100 Continue`: the final response comes first and the
/// body is never uploaded.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Whether to send `100 Continue` for a head from a client at an address (no port).
    private let accepts: @Sendable (HTTPRequest, String) -> Bool

    init(accepts: @escaping @Sendable (HTTPRequest, String) -> Bool) { self.accepts = accepts }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data),
            head.headerFields[.expect]?.lowercased() == "100-continue",
            accepts(head, context.channel.remoteAddress?.ipAddress ?? "127.0.0.1")
        {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }
}

/// Channel handlers the HTTP server needs in front of the router.
package enum SluiceChannelHandlers {
    /// The `Expect: 100-continue` responder and the disconnect watcher (one each per connection).
    /// - Parameter streamLoad: when given, Stream Load heads that fail their header checks get no 100.
    package static func make(authenticator: Authenticator, streamLoad: StreamLoadRoutes? = nil)
        -> [any RemovableChannelHandler]
    {
        [
            RequestPhaseHandler(),
            ExpectContinueHandler { head, clientHost in
                // Without the slow hash (this runs on the event loop): a password not yet verified
                // gets its 100 and is checked by the route.
                switch authenticator.quickCheck(head.headerFields, clientHost: clientHost) {
                case .missing?, .denied?: return false
                case .authenticated?, nil: break
                }
                guard let streamLoad, let path = head.path, path.split(separator: "?")[0].hasSuffix("_stream_load")
                else { return true }
                return streamLoad.acceptsBody(head)
            }, DisconnectHandler(),
        ]
    }
}
