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
