import SluiceMySQL
import Testing

/// The connection lifecycle value (spec mysql-protocol §2.5, §3.1): logins with native and
/// switched plugins, refusals with StarRocks' texts, command decoding.
@Suite struct ConnectionMachineTests {
    static let scramble = Array("abcdefghijklmnopqrst".utf8)

    static func machine() -> ConnectionMachine {
        ConnectionMachine(scramble: scramble) { user in
            switch user {
            case "root": []
            case "jack": NativePassword.stage2("secret")
            default: nil
            }
        }
    }

    static func response(user: String, password: String, plugin: String?, database: String? = nil) -> [UInt8] {
        WireTests.response(
            flags: [.protocol41, .secureConnection, .pluginAuth, .connectWithDB], user: user,
            auth: plugin == nil || plugin == Handshake.nativePlugin
                ? NativePassword.clientResponse(password: password, scramble: scramble)
                : Array(repeating: 9, count: 32),
            database: database ?? "", plugin: plugin)
    }

    @Test func nativeLoginsSucceedAndCommandsDecode() {
        var m = Self.machine()
        let actions = m.receive(
            Self.response(user: "jack", password: "secret", plugin: Handshake.nativePlugin, database: "demo"))
        #expect(actions == [.authenticated(user: "jack", database: "demo", sequence: 2)])
        #expect(m.receive([0x03] + Array("SELECT 1".utf8)) == [.run(.query("SELECT 1"))])
        #expect(m.receive([0x02] + Array("other".utf8)) == [.run(.initDB("other"))])
        #expect(m.receive([0x0E]) == [.run(.ping)])
        #expect(m.receive([0x04] + Array("t".utf8) + [0]) == [.run(.fieldList(table: "t"))])
        #expect(m.receive([0x09]) == [.run(.unsupported(0x09))])
        #expect(m.receive([0x01]) == [.close])
        #expect(m.state == .closed)
    }

    /// An SSLRequest: flags with CLIENT_SSL, max packet, charset, 23 filler bytes (32 bytes).
    static let sslRequest: [UInt8] = {
        let flags = Capabilities([.protocol41, .secureConnection, .pluginAuth, .ssl]).rawValue
        return [UInt8(flags & 0xFF), UInt8(flags >> 8 & 0xFF), UInt8(flags >> 16 & 0xFF), UInt8(flags >> 24)]
            + [0, 0, 0, 1, 45] + Array(repeating: 0, count: 23)
    }()

    static func machine(_ transport: ConnectionMachine.Transport) -> ConnectionMachine {
        ConnectionMachine(scramble: scramble, credentials: { $0 == "root" ? [] : nil }, transport: transport)
    }

    @Test func sslRequestsSwitchToTLSAndShiftTheSequence() {
        var offered = Self.machine(.tlsOffered)
        #expect(offered.capabilities.contains(.ssl))
        #expect(offered.receive(Self.sslRequest) == [.startTLS])
        #expect(offered.isSecure)
        #expect(
            offered.receive(Self.response(user: "root", password: "", plugin: nil))
                == [.authenticated(user: "root", database: nil, sequence: 3)])
        // Over TLS an auth switch goes out at 3 and the answer's OK at 5.
        var switched = Self.machine(.tlsOffered)
        _ = switched.receive(Self.sslRequest)
        #expect(
            switched.receive(Self.response(user: "root", password: "", plugin: "caching_sha2_password"))
                == [.send(Handshake.authSwitch(scramble: Self.scramble), sequence: 3)])
        #expect(switched.receive([]) == [.authenticated(user: "root", database: nil, sequence: 5)])
        // Required: a plaintext login is refused with ERR 5205.
        var required = Self.machine(.tlsRequired)
        let refused = required.receive(Self.response(user: "root", password: "", plugin: nil))
        guard case .send(let payload, 2) = refused.first else {
            Issue.record("no refusal: \(refused)")
            return
        }
        #expect(payload.prefix(3) == [0xFF, 0x55, 0x14])  // 5205
        #expect(required.refusal?.hasPrefix("Connections using insecure transport are prohibited") == true)
        // Not configured: no CLIENT_SSL, and an SSLRequest is refused (ERR 5400).
        var plain = Self.machine(.plaintextOnly)
        #expect(!plain.capabilities.contains(.ssl))
        guard case .send(let error, 2) = plain.receive(Self.sslRequest).first else {
            Issue.record("no refusal of the SSLRequest")
            return
        }
        #expect(error.prefix(3) == [0xFF, 0x18, 0x15])  // 5400
    }

    static func changeUser(user: String, password: String, database: String, plugin: String) -> [UInt8] {
        let auth =
            plugin == Handshake.nativePlugin
            ? NativePassword.clientResponse(password: password, scramble: scramble) : Array(repeating: 7, count: 32)
        return [0x11] + Array(user.utf8) + [0, UInt8(auth.count)] + auth + Array(database.utf8) + [0, 33, 0]
            + Array(plugin.utf8) + [0]
    }

    @Test func changeUserVerifiesLikeALogin() {
        var m = Self.machine()
        _ = m.receive(Self.response(user: "root", password: "", plugin: nil))
        #expect(
            m.receive(
                Self.changeUser(user: "jack", password: "secret", database: "demo", plugin: Handshake.nativePlugin))
                == [.run(.changeUser(user: "jack", database: "demo", sequence: 1))])
        // Another plugin: switched to native with the connection's scramble, answered at 3.
        #expect(
            m.receive(Self.changeUser(user: "root", password: "", database: "", plugin: "caching_sha2_password"))
                == [.send(Handshake.authSwitch(scramble: Self.scramble), sequence: 1)])
        #expect(
            m.receive(NativePassword.clientResponse(password: "", scramble: Self.scramble))
                == [.run(.changeUser(user: "root", database: nil, sequence: 3))])
        let denied = m.receive(
            Self.changeUser(user: "jack", password: "wrong", database: "", plugin: Handshake.nativePlugin))
        #expect(denied.last == .close)
        #expect(m.state == .closed)
        var truncated = Self.machine()
        _ = truncated.receive(Self.response(user: "root", password: "", plugin: nil))
        #expect(truncated.receive([0x11, 0x41, 0, 20, 1]).last == .close)
    }

    @Test func otherPluginsAreSwitchedToNative() {
        var m = Self.machine()
        #expect(
            m.receive(Self.response(user: "jack", password: "secret", plugin: "caching_sha2_password"))
                == [.send(Handshake.authSwitch(scramble: Self.scramble), sequence: 2)])
        let answer = NativePassword.clientResponse(password: "secret", scramble: Self.scramble)
        #expect(
            m.receive(answer) == [.authenticated(user: "jack", database: nil, sequence: 4)])
    }

    @Test func refusalsUseStarRocksMessagesAndClose() {
        var wrong = Self.machine()
        let denied = wrong.receive(Self.response(user: "jack", password: "nope", plugin: nil))
        #expect(
            denied == [
                .send(
                    ServerPackets.error(
                        code: 1045, sqlState: "28000", message: "Access denied for user 'jack' (using password: YES)"),
                    sequence: 2),
                .close,
            ])
        var unknown = Self.machine()
        let noPassword = unknown.receive(Self.response(user: "ghost", password: "", plugin: nil))
        #expect(
            noPassword.first
                == .send(
                    ServerPackets.error(
                        code: 1045, sqlState: "28000", message: "Access denied for user 'ghost' (using password: NO)"),
                    sequence: 2))
        var garbage = Self.machine()
        #expect(garbage.receive([1, 2, 3]).last == .close)
        // root has an empty password: an empty response logs in.
        var root = Self.machine()
        #expect(
            root.receive(Self.response(user: "root", password: "", plugin: nil)).last
                == .authenticated(user: "root", database: nil, sequence: 2))
    }
}
