import CLibFuzzer
import SluiceMySQL

/// libFuzzer entry point for what a MySQL client sends: bytes are framed (PacketFramer, with a
/// small packet limit), the first packet is a HandshakeResponse through ConnectionMachine, and
/// the rest are commands — COM_STMT_EXECUTE payloads are also decoded against a prepared
/// statement. Nothing may crash, hang or allocate beyond the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMySQLPacket(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var framer = PacketFramer(limit: 1 << 16)
    framer.append(bytes)
    let scramble = Array("abcdefghijklmnopqrst".utf8)
    var machine = ConnectionMachine(scramble: scramble) { user in user == "root" ? [] : nil }
    let statement = try? PreparedStatement(id: 1, sql: "SELECT ?, ?, ? FROM t WHERE a = ?")
    var packets = 0
    while packets < 64, let packet = try? framer.next() {
        packets += 1
        _ = try? Handshake.parseResponse(packet.payload)
        for action in machine.receive(packet.payload) {
            if case .run(.execute(let payload)) = action, let statement {
                _ = try? ExecuteRequest.parse(payload, statement: statement)
            }
        }
        if let statement { _ = try? ExecuteRequest.parse(packet.payload, statement: statement) }
    }
    return 0
}

/// The executable's entry point (SwiftPM calls it `FuzzMySQLPacket_main`): libFuzzer's driver.
@_cdecl("FuzzMySQLPacket_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    sluice_fuzz_main(argc, argv) { data, size in fuzzMySQLPacket(data!, size) }
}
