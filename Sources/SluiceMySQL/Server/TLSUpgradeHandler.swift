import NIOCore
import NIOSSL

/// Switches a MySQL connection to TLS at the right byte. A client that wants TLS sends a
/// 32-byte SSLRequest and starts the TLS handshake at once, so the switch cannot wait for the
/// connection task: this handler, first in the pipeline, passes the client's first packet on and,
/// when it is an SSLRequest, puts a TLS handler behind itself and feeds it whatever followed.
/// Then it leaves the pipeline. The handshake machine still sees the SSLRequest (and expects
/// the real HandshakeResponse with sequence 2).
final class TLSUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let context: NIOSSLContext
    private var buffered: ByteBuffer?

    init(context: NIOSSLContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffered == nil {
            buffered = incoming
        } else {
            buffered!.writeBuffer(&incoming)
        }
        guard var bytes = buffered, bytes.readableBytes >= 4,
            let length = bytes.getInteger(at: bytes.readerIndex, endianness: .little, as: UInt32.self)
        else { return }
        let payloadLength = Int(length & 0xFF_FFFF)
        guard bytes.readableBytes >= 4 + payloadLength else { return }
        buffered = nil
        let first = bytes.readSlice(length: 4 + payloadLength)!
        let flags = first.getInteger(at: first.readerIndex + 4, endianness: .little, as: UInt32.self) ?? 0
        let isSSLRequest = payloadLength == 32 && flags & 0x800 != 0
        context.fireChannelRead(wrapInboundOut(first))
        if isSSLRequest {
            do {
                try context.pipeline.syncOperations.addHandler(
                    NIOSSLServerHandler(context: self.context), position: .after(self))
            } catch {
                context.fireErrorCaught(error)
                context.close(promise: nil)
                return
            }
        }
        // What followed the first packet: TLS records for the new handler, or plaintext commands.
        if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
