import SluiceMySQL
import Testing

/// The MySQL wire layer (spec mysql-protocol §1–§3.2): framing, the greeting byte for byte,
/// HandshakeResponse41 parsing, mysql_native_password, OK/EOF/ERR.
@Suite struct WireTests {
    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...($0 + 1)]), radix: 16)! }
    }

    @Test func theGreetingMatchesTheSpecExampleByteForByte() {
        let scramble = Array("abcdefghijklmnopqrst".utf8)
        let payload = Handshake.greeting(serverVersion: "8.0.33", connectionID: 1, scramble: scramble)
        let expected = Self.hex(
            """
            0a 38 2e 30 2e 33 33 00 01 00 00 00 61 62 63 64 65 66 67 68 00 0c 82 21 00 00 18 00 15
            00 00 00 00 00 00 00 00 00 00 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 00
            6d 79 73 71 6c 5f 6e 61 74 69 76 65 5f 70 61 73 73 77 6f 72 64 00
            """)
        #expect(payload == expected)
        #expect(payload.count == 74)
        let (framed, next) = PacketFramer.frames(payload, sequence: 0)
        #expect(Array(framed.prefix(4)) == [0x4A, 0, 0, 0])
        #expect(next == 1)
    }

    @Test func scramblesArePrintableLetters() {
        var generator = SystemRandomNumberGenerator()
        let scramble = Handshake.makeScramble(using: &generator)
        #expect(scramble.count == 20)
        #expect(scramble.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) })
    }

    @Test func nativePasswordMatchesTheMySQLFormula() {
        let scramble = Array("abcdefghijklmnopqrst".utf8)
        // Computed with Python's hashlib: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))).
        let response = Self.hex("8817c50fa779daef010ee7577825b0847df9842e")
        let stage2 = Self.hex("14e65567abdb5135d0cfd9a70b3032c179a49ee7")
        #expect(NativePassword.stage2("secret") == stage2)
        #expect(NativePassword.clientResponse(password: "secret", scramble: scramble) == response)
        #expect(NativePassword.verify(response: response, scramble: scramble, stage2: stage2))
        var wrong = response
        wrong[3] ^= 1
        #expect(!NativePassword.verify(response: wrong, scramble: scramble, stage2: stage2))
        #expect(!NativePassword.verify(response: [], scramble: scramble, stage2: stage2))
        // An empty password: an empty response, and only that.
        #expect(NativePassword.verify(response: [], scramble: scramble, stage2: []))
        #expect(!NativePassword.verify(response: response, scramble: scramble, stage2: []))
    }

    static func response(
        flags: Capabilities, user: String, auth: [UInt8], database: String?, plugin: String?,
        attributes: [(String, String)] = []
    ) -> [UInt8] {
        var w = WireWriter()
        w.int4(Int(flags.rawValue))
        w.int4(16 << 20)
        w.int1(33)
        w.raw(repeatElement(0, count: 23))
        w.nulTerminated(user)
        w.int1(UInt8(auth.count))
        w.raw(auth)
        if let database { w.nulTerminated(database) }
        if let plugin { w.nulTerminated(plugin) }
        if !attributes.isEmpty {
            var block = WireWriter()
            for (k, v) in attributes {
                block.lenencString(k)
                block.lenencString(v)
            }
            w.lenencString(block.bytes)
        }
        return w.bytes
    }

    /// FuzzMySQLPacket's finding: a connection-attributes length near 2^64 trapped converting
    /// to Int (a hostile client could stop the server). Now the block is read within the packet.
    @Test func hugeAttributeLengthsDoNotTrap() throws {
        var payload = Self.response(
            flags: [.protocol41, .secureConnection, .pluginAuth, .connectAttributes], user: "root", auth: [],
            database: nil, plugin: Handshake.nativePlugin)
        payload += [0xFE] + Array(repeating: 0xFF, count: 8) + [1, 0x41, 1, 0x42]
        let response = try Handshake.parseResponse(payload)
        #expect(response.user == "root")
        #expect(response.attributes == ["A": "B"])
    }

    @Test func handshakeResponsesParseWithAndWithoutOptionalFields() throws {
        let full: Capabilities = [.protocol41, .secureConnection, .connectWithDB, .pluginAuth, .connectAttributes]
        let auth = Array(repeating: UInt8(7), count: 20)
        let parsed = try Handshake.parseResponse(
            Self.response(
                flags: full, user: "root", auth: auth, database: "demo", plugin: "caching_sha2_password",
                attributes: [("_client_name", "pymysql"), ("_pid", "42")]))
        #expect(parsed.user == "root")
        #expect(parsed.authResponse == auth)
        #expect(parsed.database == "demo")
        #expect(parsed.plugin == "caching_sha2_password")
        #expect(parsed.attributes == ["_client_name": "pymysql", "_pid": "42"])
        // An old client: no database, plugin or attributes.
        let minimal = try Handshake.parseResponse(
            Self.response(flags: [.protocol41, .secureConnection], user: "u", auth: [], database: nil, plugin: nil))
        #expect(minimal.user == "u" && minimal.database == nil && minimal.plugin == nil)
        // Refusals: no PROTOCOL_41, a truncated fixed part.
        #expect(throws: Handshake.ResponseError.oldProtocol) {
            try Handshake.parseResponse(
                Self.response(flags: [.secureConnection], user: "u", auth: [], database: nil, plugin: nil))
        }
        #expect(throws: Handshake.ResponseError.truncated) { try Handshake.parseResponse([0x00, 0x02, 0, 0, 1]) }
        // An SSLRequest is flags + max packet + charset + filler only.
        var ssl = WireWriter()
        ssl.int4(Int(Capabilities([.protocol41, .ssl]).rawValue))
        ssl.int4(0)
        ssl.int1(33)
        ssl.raw(repeatElement(0, count: 23))
        #expect(try Handshake.parseResponse(ssl.bytes).isSSLRequest)
    }

    @Test func framingReassemblesSplitsAndChecksSequences() throws {
        var framer = PacketFramer()
        let payload = Array(repeating: UInt8(0x61), count: PacketFramer.maxPacket + 10)
        let (bytes, next) = PacketFramer.frames(payload, sequence: 0)
        #expect(next == 2)
        // Fed a few bytes at a time, the two frames come back as one packet.
        var packets = [PacketFramer.Packet]()
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 65_537)
            framer.append(bytes[offset..<end])
            while let packet = try framer.next() { packets.append(packet) }
            offset = end
        }
        #expect(packets.count == 1)
        #expect(packets.first?.payload == payload)
        // An exact multiple of 0xFFFFFF ends with an empty frame.
        let exact = PacketFramer.frames(Array(repeating: 1, count: PacketFramer.maxPacket), sequence: 3)
        #expect(exact.bytes.count == PacketFramer.maxPacket + 8)
        #expect(exact.next == 5)
        // A frame out of sequence stops the stream.
        var strict = PacketFramer()
        strict.expectedSequence = 1
        strict.append(PacketFramer.frames([1, 2, 3], sequence: 2).bytes)
        #expect(throws: PacketFramer.Failure.badSequence(expected: 1, got: 2)) { _ = try strict.next() }
        // Over the limit.
        var small = PacketFramer(limit: 4)
        small.append(PacketFramer.frames([1, 2, 3, 4, 5], sequence: 0).bytes)
        #expect(throws: PacketFramer.Failure.tooLarge(limit: 4)) { _ = try small.next() }
    }

    @Test func okEofAndErrPacketsAreStarRocksShaped() {
        #expect(ServerPackets.ok() == [0, 0, 0, 0, 0, 0, 0])
        #expect(
            ServerPackets.ok(affectedRows: 3, warnings: 1, info: "{'label':'l'}")
                == [0, 3, 0, 0, 0, 1, 0, 13] + Array("{'label':'l'}".utf8))
        #expect(ServerPackets.eof() == [0xFE, 0, 0, 0, 0])
        #expect(ServerPackets.eof(status: ServerPackets.moreResults) == [0xFE, 0, 0, 8, 0])
        #expect(
            ServerPackets.error(
                code: 1045, sqlState: "28000", message: "Access denied for user 'x' (using password: YES)")
                == [0xFF, 0x15, 0x04] + Array("#28000Access denied for user 'x' (using password: YES)".utf8))
        #expect(
            ServerPackets.error(code: 1064, sqlState: "HY000", message: "").suffix(13) == Array("Unknown error".utf8))
        #expect(Handshake.authSwitch(scramble: Array("abcdefghijklmnopqrst".utf8)).first == 0xFE)
    }

    @Test func lengthEncodedIntegersRoundTrip() throws {
        for value: UInt64 in [0, 250, 251, 65_535, 65_536, 16_777_215, 16_777_216, UInt64.max] {
            var w = WireWriter()
            w.lenenc(value)
            var r = WireReader(w.bytes)
            #expect(try r.lenenc() == value)
            #expect(r.isAtEnd)
        }
        var truncated = WireReader([0xFC, 0x01])
        #expect(throws: WireReader.Failure.truncated) { _ = try truncated.lenenc() }
    }
}
