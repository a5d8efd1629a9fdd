import Crypto

/// The connection phase (spec mysql-protocol §2): the server's greeting, the client's
/// HandshakeResponse41 and `mysql_native_password`.
package enum Handshake {
    package static let nativePlugin = "mysql_native_password"
    package static let clearPlugin = "mysql_clear_password"

    /// The initial handshake packet v10 (§2.1), with a 20-byte NUL-free scramble.
    package static func greeting(
        serverVersion: String, connectionID: UInt32, scramble: [UInt8], capabilities: Capabilities = .server
    ) -> [UInt8] {
        precondition(scramble.count == 20, "a 20-byte scramble")
        var w = WireWriter(capacity: 80)
        w.int1(10)
        w.nulTerminated(serverVersion)
        w.int4(Int(connectionID))
        w.raw(scramble[0..<8])
        w.int1(0)
        w.int2(Int(capabilities.rawValue & 0xFFFF))
        w.int1(33)
        w.int2(0)
        w.int2(Int(capabilities.rawValue >> 16))
        w.int1(21)
        w.raw(repeatElement(0, count: 10))
        w.raw(scramble[8..<20])
        w.int1(0)
        w.nulTerminated(nativePlugin)
        return w.bytes
    }

    /// A scramble as StarRocks makes it: 20 random bytes mapped to lowercase letters (no NUL).
    package static func makeScramble<G: RandomNumberGenerator>(using generator: inout G) -> [UInt8] {
        (0..<20).map { _ in UInt8(ascii: "a") + UInt8.random(in: 0..<26, using: &generator) }
    }

    /// What the client sent in its HandshakeResponse41 (§2.4).
    package struct Response: Sendable, Equatable {
        package var capabilities: Capabilities
        package var user: String
        package var authResponse: [UInt8]
        package var database: String?
        package var plugin: String?
        package var attributes: [String: String] = [:]
        /// An SSLRequest: only flags, max packet, charset and filler (the real response follows over TLS).
        package var isSSLRequest = false
    }

    /// Why a HandshakeResponse is refused (ERR, then the connection closes).
    package enum ResponseError: Error, Sendable, Equatable {
        /// No CLIENT_PROTOCOL_41 (ERR 1251 / 08004).
        case oldProtocol
        /// Shorter than its fixed part.
        case truncated
    }

    /// Parses a HandshakeResponse41, tolerant of missing optional trailing fields (old clients).
    package static func parseResponse(_ payload: [UInt8]) throws(ResponseError) -> Response {
        var r = WireReader(payload)
        do {
            let flags = Capabilities(rawValue: UInt32(try r.int4()))
            guard flags.contains(.protocol41) else { throw ResponseError.oldProtocol }
            _ = try r.int4()
            _ = try r.int1()
            _ = try r.bytes(23)
            if r.isAtEnd, flags.contains(.ssl) {
                return Response(capabilities: flags, user: "", authResponse: [], isSSLRequest: true)
            }
            let user = String(decoding: r.nulTerminated(), as: UTF8.self)
            var response = Response(capabilities: flags, user: user, authResponse: [])
            guard !r.isAtEnd else { return response }
            if flags.contains(.pluginAuthLenencClientData) {
                response.authResponse = try r.lenencBytes()
            } else if flags.contains(.secureConnection) {
                response.authResponse = try r.bytes(Int(try r.int1()))
            } else {
                response.authResponse = r.nulTerminated()
            }
            if flags.contains(.connectWithDB), !r.isAtEnd {
                let database = String(decoding: r.nulTerminated(), as: UTF8.self)
                response.database = database.isEmpty ? nil : database
            }
            if flags.contains(.pluginAuth), !r.isAtEnd {
                let plugin = String(decoding: r.nulTerminated(), as: UTF8.self)
                response.plugin = plugin.isEmpty ? nil : plugin
            }
            if flags.contains(.connectAttributes), !r.isAtEnd {
                // Attributes never fail a login: a malformed block is ignored.
                if let attributes = try? attributes(&r) { response.attributes = attributes }
            }
            return response
        } catch let error as ResponseError {
            throw error
        } catch {
            throw .truncated
        }
    }

    private static func attributes(_ r: inout WireReader) throws(WireReader.Failure) -> [String: String] {
        // The declared length is the client's word: never past what was received (a length
        // near 2^64 must not overflow).
        let total = try r.lenenc()
        let end = r.position + Int(min(total, UInt64(r.remaining)))
        var result = [String: String]()
        while r.position < end, !r.isAtEnd {
            let key = String(decoding: try r.lenencBytes(), as: UTF8.self)
            result[key] = String(decoding: try r.lenencBytes(), as: UTF8.self)
        }
        return result
    }

    /// The AuthSwitchRequest to `mysql_native_password` with the same scramble (§2.5).
    package static func authSwitch(scramble: [UInt8]) -> [UInt8] {
        var w = WireWriter(capacity: 48)
        w.int1(0xFE)
        w.nulTerminated(nativePlugin)
        w.raw(scramble)
        w.int1(0)
        return w.bytes
    }
}

/// `mysql_native_password` (spec mysql-protocol §2.5).
package enum NativePassword {
    /// SHA1(SHA1(password)): what the server keeps (empty for an empty password).
    package static func stage2(_ password: String) -> [UInt8] {
        guard !password.isEmpty else { return [] }
        return Array(Insecure.SHA1.hash(data: Array(Insecure.SHA1.hash(data: Array(password.utf8)))))
    }

    /// What a client sends: SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))).
    package static func clientResponse(password: String, scramble: [UInt8]) -> [UInt8] {
        guard !password.isEmpty else { return [] }
        let stage1 = Array(Insecure.SHA1.hash(data: Array(password.utf8)))
        let mix = Array(Insecure.SHA1.hash(data: scramble + stage2(password)))
        return zip(stage1, mix).map { $0 ^ $1 }
    }

    /// Whether `response` proves knowledge of the password whose `stage2` is given.
    package static func verify(response: [UInt8], scramble: [UInt8], stage2: [UInt8]) -> Bool {
        if stage2.isEmpty { return response.isEmpty }
        guard response.count == 20 else { return false }
        let mix = Array(Insecure.SHA1.hash(data: scramble + stage2))
        let stage1 = zip(response, mix).map { $0 ^ $1 }
        let candidate = Array(Insecure.SHA1.hash(data: stage1))
        // Constant time: every byte is compared.
        return zip(candidate, stage2).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
