import Foundation
import SluiceIO
import SluiceMySQL
import SluiceTesting
import Testing

/// `sluice serve` with its MySQL port on, a database `demo` and spec fixture F's table `t`
/// (created over the MySQL protocol itself). A separate process: its connections never wait on
/// this test process's busy cooperative threads.
final class MySQLTestServer: Sendable {
    let process: ServerProcess
    let port: Int
    let directory: String

    init(maxConnections: Int? = nil, maxPacket: Int? = nil) async throws {
        directory = makeTemporaryDirectory()
        var environment = ["SLUICE_ROOT_PASSWORD": "rootpw"]
        if let maxConnections { environment["SLUICE_SERVER_QE_MAX_CONNECTION"] = String(maxConnections) }
        if let maxPacket { environment["SLUICE_SERVER_MAX_ALLOWED_PACKET"] = String(maxPacket) }
        let directory = self.directory
        let settings = environment
        // A free port can be taken by a concurrently starting test before the server binds it: a
        // server that does not come up is tried again on another port (at most three times).
        let (process, port) = try await BlockingIO.run { () throws -> (ServerProcess, Int) in
            var attempt = 0
            while true {
                attempt += 1
                let port = freeTCPPort()
                do {
                    let process = try ServerProcess(
                        dataDirectory: directory, arguments: ["--query-port", String(port)], environment: settings)
                    return (process, port)
                } catch  where attempt < 3 {
                    continue
                }
            }
        }
        self.process = process
        self.port = port
        try await BlockingIO.run {
            let client = try RawMySQLClient(port: port)
            guard case .ok = try client.login(user: "root", password: "rootpw") else {
                throw RawMySQLClient.Failure("root login failed")
            }
            for sql in [
                "CREATE DATABASE demo", "CREATE USER jack",
                """
                CREATE TABLE demo.t (id INT, name VARCHAR(32), score DECIMAL(10,2), ts DATETIME, ok BOOLEAN)
                DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1
                """,
                """
                INSERT INTO demo.t VALUES (1,'a',1.50,'2024-01-02 03:04:05',true), (2,'',NULL,NULL,false),
                (3,NULL,0.00,'2024-01-01 00:00:00',NULL)
                """,
            ] {
                guard case .ok = try client.query(sql)[0] else { throw RawMySQLClient.Failure("fixture: \(sql)") }
            }
        }
    }

    func stop() async {
        let process = self.process
        _ = try? await BlockingIO.run { process.terminate() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs a blocking client conversation off the cooperative pool.
    func client<T: Sendable>(_ body: @escaping @Sendable (Int) throws -> T) async throws -> T {
        let port = self.port
        return try await BlockingIO.run { try body(port) }
    }
}

extension RawMySQLClient {
    /// A client logged in as root (password `rootpw`) into `demo`.
    static func root(_ port: Int) throws -> RawMySQLClient {
        let client = try RawMySQLClient(port: port)
        guard case .ok = try client.login(user: "root", password: "rootpw", database: "demo") else {
            throw Failure("login failed")
        }
        return client
    }
}

@Suite struct MySQLServerTests {
    @Test func greetingIsStarRocksShaped() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let greeting = try await server.client { port in try RawMySQLClient(port: port).greeting }
        #expect(greeting.count == 74)
        #expect(greeting[0] == 0x0A)
        #expect(Array(greeting[1..<8]) == Array("8.0.33\0".utf8))
        #expect(
            Array(greeting[20..<39]) == [0x00, 0x0C, 0x82, 0x21, 0x00, 0x00, 0x18, 0x00, 0x15]
                + [UInt8](repeating: 0, count: 10))
        #expect(Array(greeting.suffix(22)) == Array("mysql_native_password\0".utf8))
        let scramble = Array(greeting[12..<20]) + Array(greeting[39..<51])
        #expect(scramble.count == 20 && !scramble.contains(0))
    }

    @Test func loginsSucceedAndFailLikeStarRocks() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let replies = try await server.client { port in
            [
                try RawMySQLClient(port: port).login(user: "root", password: "rootpw"),
                try RawMySQLClient(port: port).login(user: "root", password: "wrong"),
                try RawMySQLClient(port: port).login(user: "nobody", password: ""),
                try RawMySQLClient(port: port).login(user: "root", password: "rootpw", plugin: "caching_sha2_password"),
                try RawMySQLClient(port: port).login(user: "root", password: "rootpw", database: "nope"),
                try RawMySQLClient(port: port).login(user: "jack", password: ""),
            ]
        }
        #expect(replies[0] == .ok(affected: 0, status: 0, warnings: 0, info: ""))
        #expect(
            replies[1]
                == .error(code: 1045, sqlState: "28000", message: "Access denied for user 'root' (using password: YES)")
        )
        #expect(
            replies[2]
                == .error(
                    code: 1045, sqlState: "28000", message: "Access denied for user 'nobody' (using password: NO)"))
        #expect(replies[3] == .ok(affected: 0, status: 0, warnings: 0, info: ""))
        #expect(replies[4] == .error(code: 5501, sqlState: "3F000", message: "Unknown database 'nope'"))
        #expect(replies[5] == .ok(affected: 0, status: 0, warnings: 0, info: ""))
    }

    @Test func resultSetsCarryStarRocksTypesAndValues() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let (definition, replies) = try await server.client { port in
            let client = try RawMySQLClient.root(port)
            try client.send([0x03] + Array("SELECT id FROM t".utf8), sequence: 0)
            _ = try client.readPacket()
            let definition = try client.readPacket().payload
            while try client.readPacket().payload.first != 0xFE {}
            while try client.readPacket().payload.first != 0xFE {}
            return (
                definition,
                try client.query("SELECT id,name,score,ts,ok FROM t ORDER BY id") + client.query("SELECT NULL, '', 'x'")
                    + client.query(
                        "SELECT length(repeat('x', 250)), repeat('y', 251) = repeat('y', 251), 1 FROM t WHERE id = 0")
            )
        }
        #expect(
            definition
                == [3] + Array("def".utf8) + [0, 0, 0, 2] + Array("id".utf8) + [2] + Array("id".utf8) + [
                    0x0C, 63, 0, 11, 0, 0, 0, 3, 0, 0, 0, 0, 0,
                ])
        #expect(
            replies[0]
                == .rows(
                    columns: ["id", "name", "score", "ts", "ok"],
                    rows: [
                        ["1", "a", "1.50", "2024-01-02 03:04:05", "1"], ["2", "", nil, nil, "0"],
                        ["3", nil, "0.00", "2024-01-01 00:00:00", nil],
                    ], status: 0))
        #expect(replies[1] == .rows(columns: ["NULL", "''", "'x'"], rows: [[nil, "", "x"]], status: 0))
        guard case .rows(_, let empty, _) = replies[2] else {
            Issue.record("no result set: \(replies[2])")
            return
        }
        #expect(empty.isEmpty)
    }

    @Test func valuesCrossLengthEncodingBoundaries() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let lengths = [250, 251, 65535, 65536, 16_777_215, 17_825_792]
        let values = try await server.client { port in
            let client = try RawMySQLClient.root(port)
            return try lengths.map { n -> Int in
                guard case .rows(_, let rows, _) = try client.query("SELECT repeat('x', \(n))")[0] else { return -1 }
                return rows[0][0]?.utf8.count ?? -1
            }
        }
        #expect(values == lengths)
        // A 17 MiB statement arrives in two packets and is reassembled.
        let length = try await server.client { port in
            let client = try RawMySQLClient.root(port)
            let big = String(repeating: "z", count: 17_825_792)
            guard case .rows(_, let rows, _) = try client.query("SELECT length('\(big)')")[0] else { return "" }
            return rows[0][0] ?? ""
        }
        #expect(length == "17825792")
    }

    @Test func multiStatementsFlagMoreResultsAndStopAtTheFirstError() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let (two, failing) = try await server.client { port in
            let client = try RawMySQLClient.root(port)
            return (try client.query("SELECT 1; SELECT 2"), try client.query("SELECT 1; SELECT * FROM nope; SELECT 3"))
        }
        #expect(
            two == [.rows(columns: ["1"], rows: [["1"]], status: 8), .rows(columns: ["2"], rows: [["2"]], status: 0)])
        #expect(failing.count == 2)
        #expect(
            failing.last
                == .error(
                    code: 5502, sqlState: "42602",
                    message: "Getting analyzing error. Detail message: Unknown table 'demo.nope'."))
    }

    @Test func statementsReportStarRocksErrorsAndInsertInfo() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let replies = try await server.client { port in
            let client = try RawMySQLClient.root(port)
            return try [
                "INSERT INTO t VALUES (5,'e',1,NOW(),true),(6,'f',2,NOW(),false)",
                "INSERT INTO t WITH LABEL l1 VALUES (7,'g',1,NOW(),true)",
                "INSERT INTO t WITH LABEL l1 VALUES (7,'g',1,NOW(),true)", "SELEC 1", "", " ; ", "CREATE DATABASE demo",
                "CREATE TABLE t (id INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id)", "SELECT @@no_such_var",
                "SET wait_timeout = 'x'", "SELECT nope FROM t",
            ].map { try client.query($0)[0] }
        }
        guard case .ok(2, 0, 0, let info) = replies[0] else {
            Issue.record("\(replies[0])")
            return
        }
        #expect(
            info.range(
                of: #"^\{'label':'insert_[0-9a-f-]+', 'status':'VISIBLE', 'txnId':'\d+'\}$"#,
                options: .regularExpression) != nil, "\(info)")
        guard case .ok(1, 0, 0, let labelled) = replies[1] else {
            Issue.record("\(replies[1])")
            return
        }
        #expect(labelled.hasPrefix("{'label':'l1', 'status':'VISIBLE', 'txnId':'"))
        let codes = replies.dropFirst(2).map { reply -> Int in
            if case .error(let code, _, _) = reply { return code }
            return 0
        }
        #expect(codes == [1064, 1064, 1065, 1065, 1007, 1050, 1193, 1231, 5509])
        if case .error(_, _, let message) = replies[2] {
            #expect(message.contains("Label [l1] has already been used."))
        }
        if case .error(_, let state, let message) = replies[3] {
            #expect(state == "42000")
            #expect(message.hasPrefix("Getting syntax error at line 1, column 1."))
        }
    }

    @Test func commandsAnswerAsStarRocksDoes() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let (ping, initDB, fields, statistics, unknown, pingAfter, setOption, closed) = try await server.client {
            port in
            let client = try RawMySQLClient(port: port)
            _ = try client.login(user: "root", password: "rootpw")
            try client.send([0x0E], sequence: 0)
            let ping = try client.readPacket()
            try client.send([0x02] + Array("demo".utf8), sequence: 0)
            let initDB = try client.readPacket().payload
            try client.send([0x04] + Array("t".utf8) + [0], sequence: 0)
            var fields = [[UInt8]]()
            while true {
                let packet = try client.readPacket().payload
                if packet.first == 0xFE { break }
                fields.append(packet)
            }
            try client.send([0x09], sequence: 0)
            let statistics = RawMySQLClient.decodeSimple(try client.readPacket().payload)
            try client.send([0x63], sequence: 0)
            let unknown = RawMySQLClient.decodeSimple(try client.readPacket().payload)
            try client.send([0x0E], sequence: 0)
            let pingAfter = try client.readPacket().payload
            try client.send([0x1B, 0, 0], sequence: 0)
            let setOption = try client.readPacket().payload
            try client.send([0x01], sequence: 0)
            return (ping, initDB, fields, statistics, unknown, pingAfter, setOption, client.isClosedByServer())
        }
        #expect(ping.sequence == 1 && ping.payload == [0, 0, 0, 0, 0, 0, 0])
        #expect(initDB == [0, 0, 0, 0, 0, 0, 0])
        #expect(fields.count == 5)
        var first = WireReader(fields[0])
        #expect(try first.lenencBytes() == Array("def".utf8))
        #expect(try first.lenencBytes() == Array("demo".utf8))
        #expect(try first.lenencBytes() == Array("t".utf8))
        guard case .error(_, _, let statisticsMessage) = statistics, case .error(_, _, let unknownMessage) = unknown
        else {
            Issue.record("\(statistics) \(unknown)")
            return
        }
        #expect(statisticsMessage.contains("Unsupported command"))
        #expect(unknownMessage.contains("Unknown command"))
        #expect(pingAfter.first == 0)
        #expect(setOption == [0xFE, 0, 0, 0, 0])
        #expect(closed)
    }

    @Test func malformedStreamsCloseOnlyTheirConnection() async throws {
        let server = try await MySQLTestServer(maxPacket: 1 << 20)
        defer { Task { await server.stop() } }
        let outcomes = try await server.client { port in
            // A command with the wrong sequence id: closed without a reply.
            let bad = try RawMySQLClient.root(port)
            try bad.sendRaw([1, 0, 0, 5, 0x0E])
            let closedOnBadSequence = bad.isClosedByServer()
            // A command over the packet limit: ERR 1153, then closed.
            let huge = try RawMySQLClient.root(port)
            try huge.send([0x03] + [UInt8](repeating: 0x20, count: 2 << 20), sequence: 0)
            let tooLarge = RawMySQLClient.decodeSimple(try huge.readPacket().payload)
            // A truncated handshake response.
            let truncated = try RawMySQLClient(port: port)
            try truncated.send([0x0D, 0xA2], sequence: 1)
            let truncatedReply = RawMySQLClient.decodeSimple(try truncated.readPacket().payload)
            // Invalid UTF-8 in a query: an answer, and the connection goes on.
            let utf8 = try RawMySQLClient.root(port)
            try utf8.send([0x03] + Array("SELECT 'a".utf8) + [0xFF] + Array("b'".utf8), sequence: 0)
            let invalid = try utf8.readResult()
            try utf8.send([0x0E], sequence: 0)
            let pingAfter = try utf8.readPacket().payload
            // Another connection is unaffected.
            let fine = try RawMySQLClient.root(port).query("SELECT count(*) FROM t")
            return (closedOnBadSequence, tooLarge, truncatedReply, invalid, pingAfter, fine)
        }
        #expect(outcomes.0)
        guard case .error(1153, "08S01", _) = outcomes.1 else {
            Issue.record("\(outcomes.1)")
            return
        }
        guard case .error = outcomes.2 else {
            Issue.record("\(outcomes.2)")
            return
        }
        #expect(outcomes.3 == .rows(columns: ["'a\u{FFFD}b'"], rows: [["a\u{FFFD}b"]], status: 0))
        #expect(outcomes.4.first == 0)
        #expect(outcomes.5 == [.rows(columns: ["count(*)"], rows: [["3"]], status: 0)])
    }
}
