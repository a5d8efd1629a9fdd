package import Hummingbird
package import NIOCore

/// The request context of every Sluice route: Hummingbird's core context plus the connection the
/// request arrived on, so long work (a SELECT) can stop when the client goes away.
package struct SluiceRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The request's connection; its `closeFuture` completes when the client disconnects.
    package let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
