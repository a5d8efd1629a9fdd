import Foundation
import SluiceMySQL
import SluiceTesting
import Testing

/// Sessions over the wire: KILL and SHOW PROCESSLIST across connections, `wait_timeout`, the
/// connection cap, and a client leaving in the middle of a large result.
@Suite struct MySQLSessionTests {
    /// Connection `id`'s SHOW PROCESSLIST row (Command, Info), or nil when it is not listed.
    static func process(_ observer: RawMySQLClient, _ id: UInt32) throws -> (command: String?, info: String?)? {
        guard case .rows(let columns, let rows, _) = try observer.query("SHOW FULL PROCESSLIST")[0],
            let idColumn = columns.firstIndex(of: "Id"), let command = columns.firstIndex(of: "Command"),
            let info = columns.firstIndex(of: "Info")
        else { return nil }
        return rows.first { $0[idColumn] == String(id) }.map { ($0[command], $0[info]) }
    }

    @Test func killQueryStopsTheStatementAndKillClosesTheConnection() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let (killed, after, closed, listedAfterKill) = try await server.client { port in
            let victim = try RawMySQLClient.root(port)
            let observer = try RawMySQLClient.root(port)
            try victim.send([0x03] + Array("SELECT SLEEP(600)".utf8), sequence: 0)
            let running = try Eventually.until(timeout: .seconds(120)) {
                try Self.process(observer, victim.connectionID)?.command == "Query"
            }
            guard running else { throw RawMySQLClient.Failure("the statement never showed as running") }
            let started = ContinuousClock.now
            _ = try observer.query("KILL QUERY \(victim.connectionID)")
            let killed = try victim.readResult()
            // Well before the sleep ends (generous: the test may share two busy cores).
            guard ContinuousClock.now - started < .seconds(120) else {
                throw RawMySQLClient.Failure("KILL QUERY took too long")
            }
            let after = try victim.query("SELECT 1")
            _ = try observer.query("KILL \(victim.connectionID)")
            let closed = victim.isClosedByServer()
            let gone = try Eventually.until(timeout: .seconds(120)) {
                try Self.process(observer, victim.connectionID) == nil
            }
            return (killed, after, closed, !gone)
        }
        #expect(killed == .error(code: 1317, sqlState: "70100", message: "Query execution was interrupted"))
        #expect(after == [.rows(columns: ["1"], rows: [["1"]], status: 0)])
        #expect(closed)
        #expect(!listedAfterKill)
    }

    @Test func killOfAnUnknownConnectionFails() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let reply = try await server.client { port in try RawMySQLClient.root(port).query("KILL 424242")[0] }
        #expect(reply == .error(code: 1094, sqlState: "HY000", message: "Unknown thread id: 424242"))
    }

    @Test func idleConnectionsCloseAfterWaitTimeout() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let (set, closed) = try await server.client { port in
            let client = try RawMySQLClient.root(port)
            let set = try client.query("SET wait_timeout = 1")
            return (set, client.isClosedByServer())
        }
        #expect(set == [.ok(affected: 0, status: 0, warnings: 0, info: "")])
        #expect(closed)
    }

    @Test func theConnectionCapRefusesOneMore() async throws {
        let server = try await MySQLTestServer(maxConnections: 2)
        defer { Task { await server.stop() } }
        let (third, afterClose) = try await server.client { port in
            let first = try RawMySQLClient.root(port)
            let second = try RawMySQLClient.root(port)
            let third = try RawMySQLClient(port: port).login(user: "root", password: "rootpw")
            try first.send([0x01], sequence: 0)
            _ = first.isClosedByServer()
            var again: RawMySQLClient.Reply = .error(code: 0, sqlState: "", message: "")
            Eventually.until(timeout: .seconds(120)) {
                again = (try? RawMySQLClient(port: port).login(user: "root", password: "rootpw")) ?? again
                if case .ok = again { return true }
                return false
            }
            withExtendedLifetime(second) {}
            return (third, again)
        }
        guard case .error(1040, "08004", let message) = third else {
            Issue.record("\(third)")
            return
        }
        #expect(message.hasPrefix("Reach limit of connections"))
        #expect(afterClose == .ok(affected: 0, status: 0, warnings: 0, info: ""))
    }

    @Test func aClientLeavingMidResultFreesItsQuery() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let (firstRows, stillListed) = try await server.client { port in
            let observer = try RawMySQLClient.root(port)
            var firstRows = [String]()
            var id: UInt32 = 0
            do {
                let reader = try RawMySQLClient.root(port)
                id = reader.connectionID
                try reader.send(
                    [0x03] + Array("SELECT generate_series, 'pad' FROM TABLE(generate_series(1, 50000000))".utf8),
                    sequence: 0)
                for _ in 0..<4 { _ = try reader.readPacket() }  // count, 2 definitions, EOF
                for _ in 0..<10 {
                    var row = WireReader(try reader.readPacket().payload)
                    firstRows.append(String(decoding: try row.lenencBytes(), as: UTF8.self))
                }
            }  // the socket closes here, 10 rows in
            let gone = try Eventually.until(timeout: .seconds(120)) { try Self.process(observer, id) == nil }
            return (firstRows, !gone)
        }
        #expect(firstRows == (1...10).map(String.init))
        #expect(!stillListed)
    }
}
