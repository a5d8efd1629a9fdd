import Logging
import NIOCore
import ServiceLifecycle
import SluiceMySQL

/// The MySQL protocol front door inside the service group: serves the bound query port until
/// graceful shutdown closes the listener (open connections are closed with it).
struct MySQLService: Service {
    let server: MySQLServer
    let listener: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>

    func run() async throws {
        let channel = listener.channel
        try await withGracefulShutdownHandler {
            try await server.serve(listener)
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}
