import Foundation
import Logging
import NIOCore
import SluiceFormat
import SluiceIO
import SluiceSQL
import SluiceStorage

/// Drives one client connection: the handshake through ``ConnectionMachine``, then one command at
/// a time. Statements run on the blocking-I/O threads; result rows are pulled batch by batch and
/// written with the channel's back-pressure, so a large result never sits in memory.
struct MySQLConnection {
    let server: MySQLServer.Context
    let channel: any Channel
    let handle: ConnectionHandle

    typealias Inbound = NIOAsyncChannelInboundStream<ByteBuffer>
    typealias Outbound = NIOAsyncChannelOutboundWriter<ByteBuffer>

    /// Reads whole packets off the inbound stream.
    struct PacketReader {
        var iterator: Inbound.AsyncIterator
        var framer: PacketFramer

        /// The next logical packet; nil when the client closed.
        mutating func next() async throws -> PacketFramer.Packet? {
            while true {
                if let packet = try framer.next() { return packet }
                guard let buffer = try await iterator.next() else { return nil }
                framer.append(buffer.readableBytesView)
            }
        }
    }

    /// The client's address without port (the host part of `'user'@'host'`).
    private var clientHost: String { channel.remoteAddress?.ipAddress ?? "127.0.0.1" }

    func run(inbound: Inbound, outbound: Outbound) async throws {
        var reader = PacketReader(iterator: inbound.makeAsyncIterator(), framer: PacketFramer(limit: server.maxPacket))
        var handshakeOpen = true
        defer { if handshakeOpen { server.registry.handshakeEnded() } }
        var generator = SystemRandomNumberGenerator()
        let scramble = Handshake.makeScramble(using: &generator)
        let logins = server.logins
        let clientHost = self.clientHost
        var machine = ConnectionMachine(
            scramble: scramble, credentials: { logins.nativeCredential(user: $0, clientHost: clientHost) },
            transport: server.tls == nil ? .plaintextOnly : server.requireSecureTransport ? .tlsRequired : .tlsOffered)
        let greeting = Handshake.greeting(
            serverVersion: server.executor.globals.identity.serverVersion,
            connectionID: UInt32(truncatingIfNeeded: handle.id), scramble: scramble, capabilities: machine.capabilities)
        try await outbound.write(ByteBuffer(bytes: PacketFramer.frames(greeting, sequence: 0).bytes))

        // Connection phase, under a deadline (a silent or slow socket is closed).
        let channel = self.channel
        let deadline = channel.eventLoop.scheduleTask(in: .seconds(Int64(server.handshakeTimeoutSeconds))) {
            channel.close(promise: nil)
        }
        var login: (user: String, database: String?, sequence: UInt8)?
        reader.framer.expectedSequence = 1
        handshake: while login == nil {
            guard let packet = try await readPacket(&reader, outbound, sequence: 2) else {
                deadline.cancel()
                return
            }
            for action in machine.receive(packet.payload) {
                switch action {
                case .send(let payload, let sequence):
                    try await outbound.write(ByteBuffer(bytes: PacketFramer.frames(payload, sequence: sequence).bytes))
                    reader.framer.expectedSequence = sequence &+ 1
                case .authenticated(let user, let database, let sequence):
                    login = (user, database, sequence)
                case .close:
                    deadline.cancel()
                    if let refusal = machine.refusal {
                        server.logger.warning(
                            "MySQL login refused",
                            metadata: [
                                "connection": "\(handle.id)", "client": "\(channel.remoteAddress?.ipAddress ?? "")",
                                "reason": "\(refusal)",
                            ])
                    }
                    return
                case .startTLS:
                    // TLSUpgradeHandler already put TLS in front of the socket; what arrives
                    // from here on was decrypted.
                    reader.framer.expectedSequence = 2
                case .run:
                    break handshake
                }
            }
        }
        deadline.cancel()
        server.registry.handshakeEnded()
        handshakeOpen = false
        guard let login else { return }
        try await commands(reader: &reader, outbound: outbound, machine: &machine, login: login)
    }

    /// Answers a login whose credentials are right — ERR for an unknown database or over the
    /// connection cap, else OK — then runs the command phase.
    private func commands(
        reader: inout PacketReader, outbound: Outbound, machine: inout ConnectionMachine,
        login: (user: String, database: String?, sequence: UInt8)
    ) async throws {
        var session = Session(nowMicros: Self.nowMicros())
        server.executor.globals.configure(&session)
        session.clientHost = clientHost
        // The user was just verified; one dropped in between logs in with no privileges.
        let verified = server.logins.login(user: login.user, clientHost: clientHost)
        session.identity = verified?.identity ?? UserIdentity(login.user, host: clientHost)
        session.activeRoles = verified?.roles ?? []
        session.connectionID = handle.id
        session.directory = server.registry
        session.address = server.advertisedAddress
        let freshSession = session
        handle.loggedIn(user: login.user, database: nil)

        do {
            try server.registry.register(handle, user: login.user)
        } catch {
            let refusal =
                error == .tooMany
                ? MySQLError.tooManyConnections
                : MySQLError.tooManyUserConnections(login.user, limit: server.registry.maxUserConnections)
            server.logger.warning(
                "MySQL connection refused: \(error == .tooMany ? "qe_max_connection" : "max_user_connections") reached",
                metadata: ["user": "\(login.user)"])
            try await outbound.write(ByteBuffer(bytes: frame(refusal.packet, sequence: login.sequence)))
            return
        }
        defer { server.registry.unregister(handle.id) }

        if let database = login.database, !database.isEmpty {
            do {
                try await use(database, session: &session)
            } catch {
                try await outbound.write(
                    ByteBuffer(bytes: frame(MySQLError(error, statement: "").packet, sequence: login.sequence)))
                return
            }
        }
        try await outbound.write(ByteBuffer(bytes: frame(ServerPackets.ok(), sequence: login.sequence)))
        machine.use(session.database)
        handle.end(database: session.database)
        var prepared = PreparedStatements()
        var expectedSequence: UInt8 = 0

        while true {
            reader.framer.expectedSequence = expectedSequence
            expectedSequence = 0
            let idle = scheduleIdleClose(seconds: waitTimeout(session))
            let packet = try await readPacket(&reader, outbound, sequence: 1)
            idle?.cancel()
            guard let packet else { return }
            for action in machine.receive(packet.payload) {
                let command: ConnectionMachine.Command
                switch action {
                case .run(let next):
                    command = next
                case .send(let payload, let sequence):
                    // COM_CHANGE_USER's auth switch or refusal.
                    try await outbound.write(ByteBuffer(bytes: frame(payload, sequence: sequence)))
                    expectedSequence = sequence &+ 1
                    continue
                case .authenticated, .close, .startTLS:
                    return
                }
                var writer = PacketWriter(allocator: channel.allocator, sequence: packet.sequence &+ 1)
                switch command {
                case .quit:
                    return
                case .query(let text):
                    try await query(text, session: &session, writer: &writer, outbound: outbound)
                case .prepare(let text):
                    prepare(text, statements: &prepared, writer: &writer)
                case .execute(let payload):
                    try await execute(
                        payload, statements: &prepared, session: &session, writer: &writer, outbound: outbound)
                case .sendLongData(let id, let parameter, let data):
                    prepared[id]?.longData[parameter, default: []].append(contentsOf: data)
                    continue
                case .closeStatement(let id):
                    prepared.close(id)
                    continue
                case .resetStatement(let id):
                    if prepared[id] != nil {
                        prepared[id]?.longData = [:]
                        writer.packet(ServerPackets.ok())
                    } else {
                        writer.packet(MySQLError.unknownStatement(id).packet)
                    }
                case .initDB(let name):
                    do {
                        try await use(name, session: &session)
                        writer.packet(ServerPackets.ok())
                    } catch {
                        writer.packet(MySQLError(error, statement: "").packet)
                    }
                case .ping:
                    writer.packet(ServerPackets.ok())
                case .fieldList(let table):
                    fieldList(table, session: session, writer: &writer)
                case .resetConnection:
                    let database = session.database
                    session = freshSession
                    session.database = database
                    prepared = PreparedStatements()
                    writer.packet(ServerPackets.ok())
                case .changeUser(let user, let database, let sequence):
                    var fresh = freshSession
                    let verified = server.logins.login(user: user, clientHost: session.clientHost)
                    fresh.identity = verified?.identity ?? UserIdentity(user, host: session.clientHost)
                    fresh.activeRoles = verified?.roles ?? []
                    prepared = PreparedStatements()
                    writer.sequence = sequence
                    do {
                        if let database { try await use(database, session: &fresh) }
                        session = fresh
                        handle.loggedIn(user: user, database: session.database)
                        writer.packet(ServerPackets.ok())
                    } catch {
                        writer.packet(MySQLError(error, statement: "").packet)
                    }
                case .setOption:
                    writer.packet(ServerPackets.eof())
                case .silent:
                    continue
                case .unsupported(let code):
                    writer.packet(MySQLError.unsupportedCommand(code).packet)
                }
                machine.use(session.database)
                handle.end(database: session.database)
                if writer.buffer.readableBytes > 0 { try await outbound.write(writer.take()) }
            }
        }
    }

    /// The next packet; a malformed stream ends the connection (after an ERR where MySQL sends
    /// one: a packet over the limit).
    private func readPacket(_ reader: inout PacketReader, _ outbound: Outbound, sequence: UInt8) async throws
        -> PacketFramer.Packet?
    {
        do {
            return try await reader.next()
        } catch let failure as PacketFramer.Failure {
            switch failure {
            case .badSequence(let expected, let got):
                server.logger.info(
                    "MySQL connection closed: bad packet sequence",
                    metadata: ["connection": "\(handle.id)", "expected": "\(expected)", "got": "\(got)"])
            case .tooLarge(let limit):
                try? await outbound.write(
                    ByteBuffer(bytes: frame(MySQLError.packetTooLarge(limit: limit).packet, sequence: sequence)))
            }
            return nil
        }
    }

    // MARK: Commands

    private func query(_ text: String, session: inout Session, writer: inout PacketWriter, outbound: Outbound)
        async throws
    {
        let statements: [String]
        do {
            statements = try SQLExecutor.statements(text)
        } catch {
            writer.packet(MySQLError(error, statement: text).packet)
            return
        }
        for (index, statement) in statements.enumerated() {
            let status = index == statements.count - 1 ? 0 : ServerPackets.moreResults
            let succeeded = try await run(
                statement, status: status, binary: false, session: &session, writer: &writer, outbound: outbound)
            if !succeeded { return }
        }
    }

    /// COM_STMT_PREPARE: registers the statement and answers with its id and parameter count.
    /// Like StarRocks, no result columns are announced here; each execute sends them.
    private func prepare(_ text: String, statements: inout PreparedStatements, writer: inout PacketWriter) {
        let statement: PreparedStatement
        do {
            statement = try statements.prepare(text)
        } catch {
            writer.packet(MySQLError(error, statement: text).packet)
            return
        }
        do {
            // Syntax errors surface at prepare time, placeholders standing in as NULL.
            try SQLExecutor.check(statement.sql(Array(repeating: .null, count: statement.parameterCount)))
        } catch {
            statements.close(statement.id)
            writer.packet(MySQLError(error, statement: text).packet)
            return
        }
        var ok = WireWriter(capacity: 12)
        ok.int1(0)
        ok.int4(Int(statement.id))
        ok.int2(0)
        ok.int2(statement.parameterCount)
        ok.int1(0)
        ok.int2(0)
        writer.packet(ok.bytes)
        guard statement.parameterCount > 0 else { return }
        for _ in 0..<statement.parameterCount { writer.packet(ColumnDefinition.encode(name: "?", type: .string)) }
        writer.packet(ServerPackets.eof())
    }

    /// COM_STMT_EXECUTE: the statement with its parameters substituted, answered with a binary
    /// result set (or OK).
    private func execute(
        _ payload: [UInt8], statements: inout PreparedStatements, session: inout Session, writer: inout PacketWriter,
        outbound: Outbound
    ) async throws {
        let id = ExecuteRequest.statementID(payload) ?? 0
        guard var statement = statements[id] else {
            writer.packet(MySQLError.unknownStatement(id).packet)
            return
        }
        let request: ExecuteRequest
        do {
            request = try ExecuteRequest.parse(payload, statement: statement)
        } catch {
            writer.packet(MySQLError.badExecute(error).packet)
            return
        }
        if let types = request.boundTypes { statement.parameterTypes = types }
        statement.longData = [:]
        statements[id] = statement
        _ = try await run(
            statement.sql(request.values), status: 0, binary: true, session: &session, writer: &writer,
            outbound: outbound)
    }

    /// Runs one statement and writes its response, rows in the text or the binary protocol.
    /// - Returns: false when it failed (an ERR ends the rest of a multi-statement query).
    private func run(
        _ statement: String, status: Int, binary: Bool, session: inout Session, writer: inout PacketWriter,
        outbound: Outbound
    ) async throws -> Bool {
        let cancellation = QueryCancellation()
        handle.begin(statement, database: session.database, cancellation: cancellation)
        var statementSession = session
        statementSession.cancellation = cancellation
        statementSession.nowMicros = Self.nowMicros()
        let executor = server.executor
        let started = statementSession
        let (outcome, after) = try await BlockingIO.run {
            var session = started
            let outcome = Result { () throws(SQLError) -> StatementOutcome in
                try executor.open(statement, session: &session)
            }
            return (outcome, session)
        }
        session = after
        session.cancellation = nil
        switch outcome {
        case .failure(let error):
            writer.packet(MySQLError(error, statement: statement).packet)
            return false
        case .success(.ok(let statistics)):
            writer.packet(Self.ok(statistics, status: status))
            return true
        case .success(.rows(let cursor)):
            return try await stream(cursor, status: status, binary: binary, writer: &writer, outbound: outbound)
        }
    }

    /// Writes a result set: column count, definitions, EOF, rows batch by batch, EOF (or ERR when
    /// the statement fails midway).
    private func stream(
        _ cursor: RowCursor, status: Int, binary: Bool, writer: inout PacketWriter, outbound: Outbound
    ) async throws -> Bool {
        defer { cursor.close() }
        var count = WireWriter(capacity: 9)
        count.lenenc(UInt64(cursor.columns.count))
        writer.packet(count.bytes)
        for column in cursor.columns { writer.packet(ColumnDefinition.encode(name: column.name, type: column.type)) }
        writer.packet(ServerPackets.eof())
        while true {
            let batch: [ColumnVector]?
            do {
                batch = try await BlockingIO.run { () throws(SQLError) -> [ColumnVector]? in try cursor.next() }
            } catch let error as SQLError {
                writer.packet(MySQLError(error, statement: "").packet)
                return false
            }
            guard let batch else { break }
            let rows = batch.first?.count ?? 0
            var start = 0
            while start < rows {
                let end = min(rows, start + 1024)
                if binary {
                    writer.binaryRows(batch, rows: start..<end)
                } else {
                    writer.textRows(batch, rows: start..<end)
                }
                start = end
                if writer.buffer.readableBytes >= 256 << 10 { try await outbound.write(writer.take()) }
            }
        }
        writer.packet(ServerPackets.eof(status: status))
        return true
    }

    /// `USE database` (the connect-time database, COM_INIT_DB). - Throws: the SQL error.
    private func use(_ database: String, session: inout Session) async throws(SQLError) {
        let executor = server.executor
        let before = session
        do {
            session = try await BlockingIO.run {
                var session = before
                try executor.use(database, session: &session)
                return session
            }
        } catch {
            throw SQLExecutor.translate(error)
        }
    }

    private func fieldList(_ table: String, session: Session, writer: inout PacketWriter) {
        guard !table.isEmpty else {
            writer.packet(MySQLError(code: 1064, sqlState: "HY000", "Empty tableName").packet)
            return
        }
        guard let database = session.database else {
            writer.packet(MySQLError(code: 1046, sqlState: "3D000", "No database selected").packet)
            return
        }
        guard let meta = try? server.executor.engine.table(database: database, name: table) else {
            writer.packet(MySQLError(code: 5502, sqlState: "42602", "Unknown table(\(table))").packet)
            return
        }
        for column in meta.schema.columns {
            writer.packet(
                ColumnDefinition.fieldList(
                    schema: database, table: meta.name, name: column.name, type: column.type,
                    defaultValue: column.defaultValue))
        }
        writer.packet(ServerPackets.eof())
    }

    // MARK: Helpers

    /// The OK packet of a statement: INSERT/DELETE/UPDATE carry StarRocks' label/status/txnId info,
    /// and INSERT's filtered rows (non-strict) as warnings.
    static func ok(_ statistics: QueryStatistics, status: Int) -> [UInt8] {
        var info = ""
        if let dml = statistics.dml, let transaction = dml.transactionID {
            info = "{'label':'\(dml.label)', 'status':'VISIBLE', 'txnId':'\(transaction)'}"
        }
        return ServerPackets.ok(
            affectedRows: UInt64(max(0, statistics.affectedRows ?? 0)), status: status,
            warnings: statistics.dml?.filteredRows ?? 0, info: info)
    }

    private func waitTimeout(_ session: Session) -> Int {
        if case .int(let seconds)? = server.executor.variable("wait_timeout", session: session) { return Int(seconds) }
        return 28800
    }

    /// Closes the connection if no command arrives within `seconds` (`wait_timeout`).
    private func scheduleIdleClose(seconds: Int) -> Scheduled<Void>? {
        let channel = self.channel
        let id = handle.id
        let logger = server.logger
        return channel.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
            logger.info("MySQL connection closed: idle past wait_timeout", metadata: ["connection": "\(id)"])
            channel.close(promise: nil)
        }
    }

    private func frame(_ payload: [UInt8], sequence: UInt8) -> [UInt8] {
        PacketFramer.frames(payload, sequence: sequence).bytes
    }

    static func nowMicros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }
}
