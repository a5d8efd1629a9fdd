import HTTPTypes
public import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` as soon as the head arrives, so curl sends the body without its
/// one-second wait. Requests that will be refused before their body (bad credentials) get no
/// `100 Continue`: the final response comes first and the body is never uploaded.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let authenticator: Authenticator

    init(authenticator: Authenticator) { self.authenticator = authenticator }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data),
            head.headerFields[.expect]?.lowercased() == "100-continue",
            case .authenticated = authenticator.authenticate(head.headerFields)
        {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }
}

/// Channel handlers the HTTP server needs in front of the router.
public enum SluiceChannelHandlers {
    /// The `Expect: 100-continue` responder (one instance per connection).
    public static func make(authenticator: Authenticator) -> [any RemovableChannelHandler] {
        [ExpectContinueHandler(authenticator: authenticator)]
    }
}
