public import Hummingbird
public import NIOCore

/// The request context of every Sluice route: Hummingbird's core context plus the connection the
/// request arrived on, so long work (a SELECT) can stop when the client goes away.
public struct SluiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's connection; its `closeFuture` completes when the client disconnects.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
