/// One MySQL connection's lifecycle as a value (spec mysql-protocol §2–§3.1): greeting →
/// HandshakeResponse → [AuthSwitch] → command phase → closed. The network edge feeds it packets and
/// carries out what it returns; it never touches a socket.
package struct ConnectionMachine: Sendable {
    package enum State: Sendable, Equatable {
        case awaitingResponse
        /// An AuthSwitchRequest went out; the client answers with a native response.
        case awaitingAuthSwitch(user: String, database: String?)
        case commands(user: String, database: String?)
        /// COM_CHANGE_USER went through an AuthSwitchRequest; the native response follows.
        case awaitingChangeUserSwitch(user: String, database: String?)
        case closed
    }

    /// A command of the command phase.
    package enum Command: Sendable, Equatable {
        case quit
        case initDB(String)
        case query(String)
        case ping
        case fieldList(table: String)
        case resetConnection
        case setOption
        /// COM_STMT_PREPARE of this text.
        case prepare(String)
        /// COM_STMT_EXECUTE: the payload after the command byte.
        case execute([UInt8])
        /// COM_STMT_SEND_LONG_DATA: statement, parameter, chunk (answered with nothing).
        case sendLongData(statement: UInt32, parameter: Int, data: [UInt8])
        /// COM_STMT_CLOSE (answered with nothing).
        case closeStatement(UInt32)
        /// COM_STMT_RESET: drops long data sent for the statement.
        case resetStatement(UInt32)
        /// COM_CHANGE_USER succeeded: the edge starts a fresh session for `user` (in `database`)
        /// and answers OK (or ERR for an unknown database) at `sequence`.
        case changeUser(user: String, database: String?, sequence: UInt8)
        /// A statement command too short to name its statement: answered with nothing (a
        /// malformed CLOSE must not produce a reply the client does not read).
        case silent(UInt8)
        /// Anything else: its code (answered with ERR).
        case unsupported(UInt8)
    }

    /// What the edge must do.
    package enum Action: Sendable, Equatable {
        /// Send this payload with this sequence id.
        case send([UInt8], sequence: UInt8)
        /// The credentials are right: the edge answers with OK at `sequence` — or with an ERR when
        /// the database is unknown or the connection cap is reached — and switches the session.
        case authenticated(user: String, database: String?, sequence: UInt8)
        /// Run a command (replies start at sequence 1).
        case run(Command)
        /// The client asked for TLS (SSLRequest): start the TLS handshake on the socket; the real
        /// HandshakeResponse follows over it with sequence 2.
        case startTLS
        case close
    }

    package private(set) var state: State = .awaitingResponse
    package let scramble: [UInt8]
    /// `SHA1(SHA1(password))` of a user (empty: no password), nil for an unknown user.
    private let credentials: @Sendable (String) -> [UInt8]?

    /// TLS: not offered, offered, or required for every login (`server.require_secure_transport`).
    package enum Transport: Sendable, Equatable {
        case plaintextOnly, tlsOffered, tlsRequired
    }

    package let transport: Transport
    /// Whether the client switched to TLS (after an SSLRequest).
    package private(set) var isSecure = false

    package init(
        scramble: [UInt8], credentials: @escaping @Sendable (String) -> [UInt8]?, transport: Transport = .plaintextOnly
    ) {
        self.scramble = scramble
        self.credentials = credentials
        self.transport = transport
    }

    /// What the greeting advertises: StarRocks' flags, plus CLIENT_SSL when TLS is configured.
    package var capabilities: Capabilities {
        transport == .plaintextOnly ? .server : Capabilities.server.union(.ssl)
    }

    /// The SSLRequest took sequence 1, so every later handshake packet is one further on.
    private var shift: UInt8 { isSecure ? 1 : 0 }

    /// Handles one logical packet from the client.
    package mutating func receive(_ payload: [UInt8]) -> [Action] {
        switch state {
        case .awaitingResponse:
            return handshakeResponse(payload)
        case .awaitingAuthSwitch(let user, let database):
            return finishLogin(user: user, database: database, response: payload, sequence: 4 + shift)
        case .awaitingChangeUserSwitch(let user, let database):
            return finishLogin(user: user, database: database, response: payload, sequence: 3, changingUser: true)
        case .commands:
            guard let code = payload.first else { return [.run(.unsupported(0))] }
            let text = String(decoding: payload.dropFirst(), as: UTF8.self)
            switch code {
            case 0x01:
                state = .closed
                return [.close]
            case 0x02: return [.run(.initDB(text))]
            case 0x03:
                // StarRocks strips trailing NULs; invalid UTF-8 becomes U+FFFD (never a failure).
                var body = payload.dropFirst()
                while body.last == 0 { body = body.dropLast() }
                return [.run(.query(String(decoding: body, as: UTF8.self)))]
            case 0x04:
                let table = String(decoding: payload.dropFirst().prefix { $0 != 0 }, as: UTF8.self)
                return [.run(.fieldList(table: table))]
            case 0x0E: return [.run(.ping)]
            case 0x1B: return [.run(.setOption)]
            case 0x16: return [.run(.prepare(text))]
            case 0x17: return [.run(.execute(Array(payload.dropFirst())))]
            case 0x18:
                var reader = WireReader(Array(payload.dropFirst()))
                guard let statement = try? reader.int4(), let parameter = try? reader.int2() else {
                    return [.run(.silent(code))]
                }
                return [
                    .run(
                        .sendLongData(
                            statement: UInt32(truncatingIfNeeded: statement), parameter: parameter, data: reader.rest())
                    )
                ]
            case 0x19:
                guard let id = ExecuteRequest.statementID(payload.dropFirst()), payload.count >= 5 else {
                    return [.run(.silent(code))]
                }
                return [.run(.closeStatement(id))]
            case 0x1A:
                guard let id = ExecuteRequest.statementID(payload.dropFirst()), payload.count >= 5 else {
                    return [.run(.unsupported(code))]
                }
                return [.run(.resetStatement(id))]
            case 0x1F: return [.run(.resetConnection)]
            case 0x11: return changeUser(Array(payload.dropFirst()))
            default: return [.run(.unsupported(code))]
            }
        case .closed:
            return [.close]
        }
    }

    /// The database changed (`USE`, COM_INIT_DB).
    package mutating func use(_ database: String?) {
        if case .commands(let user, _) = state { state = .commands(user: user, database: database) }
    }

    private mutating func handshakeResponse(_ payload: [UInt8]) -> [Action] {
        let response: Handshake.Response
        do {
            response = try Handshake.parseResponse(payload)
        } catch .oldProtocol {
            return refuse(
                code: 1251, sqlState: "08004",
                "Client does not support authentication protocol requested by server; consider upgrading MySQL client",
                sequence: 2)
        } catch {
            return refuse(code: 1045, sqlState: "28000", "Malformed handshake response", sequence: 2)
        }
        if response.isSSLRequest {
            guard transport != .plaintextOnly, !isSecure else {
                return refuse(code: 5400, sqlState: "XX000", "Failed to change to SSL connection", sequence: 2 + shift)
            }
            isSecure = true
            return [.startTLS]
        }
        if transport == .tlsRequired, !isSecure {
            return refuse(
                code: 5205, sqlState: "08004",
                "Connections using insecure transport are prohibited: connect with TLS (e.g. mysql --ssl)",
                sequence: 2)
        }
        switch response.plugin {
        case nil, Handshake.nativePlugin?, Handshake.clearPlugin?:
            return finishLogin(
                user: response.user, database: response.database, response: response.authResponse,
                sequence: 2 + shift, clear: response.plugin == Handshake.clearPlugin)
        default:
            // caching_sha2_password and the rest: switch to native with the same scramble.
            state = .awaitingAuthSwitch(user: response.user, database: response.database)
            return [.send(Handshake.authSwitch(scramble: scramble), sequence: 2 + shift)]
        }
    }

    /// COM_CHANGE_USER (spec §3.9): user NUL, auth response (1-byte length), database NUL,
    /// charset, plugin NUL, attributes; verified against the connection's scramble like a login.
    private mutating func changeUser(_ body: [UInt8]) -> [Action] {
        var reader = WireReader(body)
        let user = String(decoding: reader.nulTerminated(), as: UTF8.self)
        guard let length = try? reader.int1(), let response = try? reader.bytes(Int(length)) else {
            return refuse(code: 1045, sqlState: "28000", "Malformed COM_CHANGE_USER packet", sequence: 1)
        }
        let name = String(decoding: reader.nulTerminated(), as: UTF8.self)
        let database = name.isEmpty ? nil : name
        _ = try? reader.int2()
        let plugin = reader.isAtEnd ? nil : String(decoding: reader.nulTerminated(), as: UTF8.self)
        switch plugin {
        case nil, "", Handshake.nativePlugin?, Handshake.clearPlugin?:
            return finishLogin(
                user: user, database: database, response: response, sequence: 1,
                clear: plugin == Handshake.clearPlugin, changingUser: true)
        default:
            state = .awaitingChangeUserSwitch(user: user, database: database)
            return [.send(Handshake.authSwitch(scramble: scramble), sequence: 1)]
        }
    }

    private mutating func finishLogin(
        user: String, database: String?, response: [UInt8], sequence: UInt8, clear: Bool = false,
        changingUser: Bool = false
    ) -> [Action] {
        let stored = user.isEmpty ? nil : credentials(user)
        let valid: Bool
        if let stored {
            if clear {
                let password = String(decoding: response.prefix { $0 != 0 }, as: UTF8.self)
                valid = NativePassword.stage2(password) == stored
            } else {
                valid = NativePassword.verify(response: response, scramble: scramble, stage2: stored)
            }
        } else {
            valid = false
        }
        guard valid else {
            let using = response.isEmpty || (clear && response.first == 0) ? "NO" : "YES"
            return refuse(
                code: 1045, sqlState: "28000", "Access denied for user '\(user)' (using password: \(using))",
                sequence: sequence)
        }
        state = .commands(user: user, database: database)
        if changingUser { return [.run(.changeUser(user: user, database: database, sequence: sequence))] }
        return [.authenticated(user: user, database: database, sequence: sequence)]
    }

    /// The message of the last refusal (a login or COM_CHANGE_USER), for the edge's log.
    package private(set) var refusal: String?

    private mutating func refuse(code: Int, sqlState: String, _ message: String, sequence: UInt8) -> [Action] {
        state = .closed
        refusal = message
        return [
            .send(ServerPackets.error(code: code, sqlState: sqlState, message: message), sequence: sequence), .close,
        ]
    }
}
