package import Logging
package import NIOCore
import NIOPosix
package import NIOSSL
package import SluiceSQL

/// The MySQL protocol front door (the query port, StarRocks' 9030): accepts connections and runs
/// each as a ``MySQLConnection`` against the same ``SQLExecutor`` as the HTTP SQL API.
package final class MySQLServer: Sendable {
    /// What every connection shares.
    struct Context: Sendable {
        let executor: SQLExecutor
        let registry: ConnectionRegistry
        /// The journaled users logins are checked against.
        let logins: Logins
        let maxPacket: Int
        let handshakeTimeoutSeconds: Int
        let advertisedAddress: String?
        let logger: Logger
        /// TLS for clients that send an SSLRequest; nil when no certificate is configured.
        let tls: NIOSSLContext?
        /// Logins without TLS are refused (`server.require_secure_transport`).
        let requireSecureTransport: Bool
    }

    package struct Options: Sendable {
        package var host = "127.0.0.1"
        /// 0 picks a free port.
        package var port = 9030
        /// `server.qe_max_connection`: logged-in connections at once. Default 4096.
        package var maxConnections = 4096
        /// `server.max_user_connections`: logged-in connections per user. Default 100.
        package var maxUserConnections = 100
        /// Largest command accepted (bytes); larger gets ERR 1153 and a close. Default 64 MiB.
        package var maxPacket = 64 << 20
        /// Seconds a client has to finish the handshake. Default 10.
        package var handshakeTimeoutSeconds = 10
        /// `host:port` for URLs in results (the HTTP address).
        package var advertisedAddress: String?
        /// TLS offered to clients (advertised as CLIENT_SSL); nil: plaintext only.
        package var tls: NIOSSLContext?
        /// Refuse logins that did not switch to TLS (ERR 5205).
        package var requireSecureTransport = false
        package init() {}
    }

    private let context: Context
    private let options: Options
    package var registry: ConnectionRegistry { context.registry }

    /// - Parameter logins: the users (by default those of `executor`'s storage engine).
    package init(executor: SQLExecutor, logins: Logins? = nil, options: Options, logger: Logger) {
        self.options = options
        context = Context(
            executor: executor,
            registry: ConnectionRegistry(
                maxConnections: options.maxConnections, maxUserConnections: options.maxUserConnections),
            logins: logins ?? Logins(engine: executor.engine), maxPacket: options.maxPacket,
            handshakeTimeoutSeconds: options.handshakeTimeoutSeconds, advertisedAddress: options.advertisedAddress,
            logger: logger, tls: options.tls, requireSecureTransport: options.requireSecureTransport)
    }

    /// Binds the port. - Returns: the listening channel; pass it to ``serve(_:)``.
    package func bind() async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never> {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .bind(host: options.host, port: options.port) { [tls = options.tls] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(TLSUpgradeHandler(context: tls)) }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Accepts connections until the listening channel closes, then closes every connection.
    package func serve(_ listener: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) async throws {
        let context = self.context
        defer { context.registry.closeAll() }
        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask { await Self.handle(connection, context) }
                }
            }
            context.registry.closeAll()
        }
    }

    private static func handle(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, _ context: Context) async {
        let channel = connection.channel
        guard let id = context.registry.reserve() else {
            context.logger.warning("MySQL connection refused: too many connections in the handshake")
            try? await channel.close()
            return
        }
        let peer = channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
        let handle = ConnectionHandle(id: id, host: peer, close: { channel.close(promise: nil) })
        // A connection that goes away stops its running statement.
        channel.closeFuture.whenComplete { _ in handle.abandon() }
        do {
            try await connection.executeThenClose { inbound, outbound in
                let driver = MySQLConnection(server: context, channel: channel, handle: handle)
                try await driver.run(inbound: inbound, outbound: outbound)
            }
        } catch {
            context.logger.debug("MySQL connection ended", metadata: ["connection": "\(id)", "error": "\(error)"])
        }
    }
}
