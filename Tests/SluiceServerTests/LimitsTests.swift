import Foundation
import SluiceIO
import SluiceServer
import SluiceTesting
import Testing

/// Every configured limit of issue 16, exercised against a real server: header, idle and body
/// timeouts, connection caps (HTTP, MySQL per user), header size and count, statement length,
/// expression depth, concurrent loads. Each client that overstays is cut off while the server
/// keeps answering others.
@Suite(.serialized) struct LimitsTests {
    static let table = "CREATE TABLE t (id INT, name VARCHAR(8)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1"

    /// Whether the server closed the connection without answering (reads EOF within 20 s).
    static func closedUnanswered(_ client: RawHTTP) -> Bool {
        client.setReceiveTimeout(seconds: 20)
        return client.receive().isEmpty
    }

    @Test(.timeLimit(.minutes(2)))
    func slowHeadsStalledBodiesAndIdleConnectionsAreCut() async throws {
        let (directory, server, sql) = try await startServer(
            tables: [Self.table],
            environment: [
                "SLUICE_SERVER_HEADER_TIMEOUT_SECONDS": "1", "SLUICE_SERVER_BODY_TIMEOUT_SECONDS": "1",
                "SLUICE_SERVER_IDLE_TIMEOUT_SECONDS": "600",
            ])
        defer {
            _ = server.terminate()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let port = server.port
        let started = ContinuousClock.now
        let (slowHead, stalledBody) = try await onDedicatedThread {
            let head = try RawHTTP(port: port)
            defer { head.close() }
            try head.send("GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            let body = try RawHTTP(port: port)
            defer { body.close() }
            try body.send(
                "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic cm9vdDo=\r\n"
                    + "label: stalled\r\ncolumn_separator: ,\r\nContent-Length: 1000\r\n\r\n7,z\n")
            return (Self.closedUnanswered(head), body.receive())
        }
        // Both were cut by their 1 s clocks, long before the 600 s idle limit (the bound leaves
        // room for a loaded 2-core machine).
        #expect(slowHead)
        #expect(!stalledBody.contains("Success"), "\(stalledBody)")
        #expect(ContinuousClock.now - started < .seconds(90))
        #expect(try await sql.execute("SELECT count(*) FROM t", database: "db").rows == [["0"]])
        // The label of the cut load is free again.
        let retried = try await onDedicatedThread {
            try Curl.streamLoad(
                port: port, database: "db", table: "t", body: "7,z\n",
                headers: ["label": "stalled", "column_separator": ","])
        }
        #expect(retried.json?["Status"] as? String == "Success", "\(retried.body)")
    }

    @Test(.timeLimit(.minutes(2)))
    func connectionCapsHeaderLimitsAndBusyLoads() async throws {
        let mysqlPort = freeTCPPort()
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await BlockingIO.run {
            try ServerProcess(
                dataDirectory: directory, arguments: ["--query-port", String(mysqlPort)],
                environment: [
                    "SLUICE_SERVER_MAX_HTTP_CONNECTIONS": "6", "SLUICE_SERVER_MAX_HEADER_COUNT": "20",
                    "SLUICE_SERVER_MAX_HEADER_BYTES": "2048", "SLUICE_SERVER_MAX_USER_CONNECTIONS": "2",
                    "SLUICE_SQL_MAX_STATEMENT_BYTES": "4096", "SLUICE_SQL_MAX_EXPRESSION_DEPTH": "50",
                    "SLUICE_LOAD_MAX_CONCURRENT_LOADS": "1",
                ])
        }
        defer { _ = server.terminate() }
        let port = server.port
        let sql = SQLClient(host: "127.0.0.1", port: port, user: "root", password: "")
        _ = try await sql.execute("CREATE DATABASE db", database: nil)
        _ = try await sql.execute(Self.table, database: "db")

        // Header count and size: refused before any route runs.
        let headers = try await onDedicatedThread { () -> [String] in
            var answers = [String]()
            for extra in [
                (0..<30).map { "X-H\($0): v\r\n" }.joined(), "X-Big: " + String(repeating: "a", count: 4000) + "\r\n",
            ] {
                let client = try RawHTTP(port: port)
                defer { client.close() }
                client.setReceiveTimeout(seconds: 20)
                try client.send("GET /api/health HTTP/1.1\r\nHost: x\r\n\(extra)\r\n")
                answers.append(client.receive())
            }
            return answers
        }
        for answer in headers { #expect(answer.hasPrefix("HTTP/1.1 400") && answer.contains("close"), "\(answer)") }

        // Statement length and expression depth, over both doors.
        let long = "SELECT '" + String(repeating: "x", count: 5000) + "'"
        let tooLong = try await sql.execute(long, database: nil)
        #expect(tooLong.status == 413 && tooLong.error?.contains("sql.max_statement_bytes (4096)") == true)
        let deep = "SELECT " + String(repeating: "(", count: 60) + "1" + String(repeating: ")", count: 60)
        let tooDeep = try await sql.execute(deep, database: nil)
        #expect(tooDeep.error?.contains("Exceeded the maximum depth of an expression tree (50)") == true, "\(tooDeep)")
        let shallow = "SELECT " + String(repeating: "(", count: 20) + "1" + String(repeating: ")", count: 20)
        #expect(try await sql.execute(shallow, database: nil).rows == [["1"]])
        let mysqlReplies = try await BlockingIO.run { () -> [RawMySQLClient.Reply] in
            let client = try RawMySQLClient(port: mysqlPort)
            _ = try client.login(user: "root", password: "")
            return [try client.query(long)[0], try client.query(deep)[0]]
        }
        guard case .error(1064, _, let lengthMessage) = mysqlReplies[0] else {
            throw ServerProcessError("long statement over MySQL: \(mysqlReplies[0])")
        }
        #expect(lengthMessage.contains("sql.max_statement_bytes"))
        if case .rows = mysqlReplies[1] { Issue.record("a too deep expression ran over MySQL") }

        // MySQL per-user connections: the third of root's is refused; another user still logs in.
        _ = try await sql.execute("CREATE USER jack", database: nil)
        let logins = try await BlockingIO.run { () -> [RawMySQLClient.Reply] in
            let clients = try (0..<4).map { _ in try RawMySQLClient(port: mysqlPort) }
            return try [
                clients[0].login(user: "root", password: ""), clients[1].login(user: "root", password: ""),
                clients[2].login(user: "root", password: ""), clients[3].login(user: "jack", password: ""),
            ]
        }
        guard case .error(1040, "08004", let userLimit) = logins[2] else {
            throw ServerProcessError("third root login: \(logins[2])")
        }
        #expect(userLimit.hasPrefix("Reach limit of connections for user 'root'"))
        if case .error = logins[3] { Issue.record("jack's login: \(logins[3])") }

        // One load at a time: a second is answered 503 "too busy" while the first receives data.
        let uploading = try RawHTTP(port: port)
        try uploading.send(
            "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic cm9vdDo=\r\n"
                + "label: first\r\ncolumn_separator: ,\r\nContent-Length: 8\r\n\r\n1,a\n")
        _ = try await sql.execute("SELECT 1", database: nil)
        var busy = try await onDedicatedThread {
            try Curl.streamLoad(
                port: port, database: "db", table: "t", body: "2,b\n", headers: ["column_separator": ","])
        }
        // The first upload may not have reached its admission yet: wait until the refusal shows.
        let refusedWhileBusy = try await Eventually.until(timeout: .seconds(10), poll: .milliseconds(50)) {
            if busy.status == 503 { return true }
            busy = try await onDedicatedThread {
                try Curl.streamLoad(
                    port: port, database: "db", table: "t", body: "2,b\n", headers: ["column_separator": ","])
            }
            return busy.status == 503
        }
        #expect(refusedWhileBusy, "\(busy.status) \(busy.body)")
        #expect(busy.body.contains("too busy") && busy.body.contains("load.max_concurrent_loads"))
        try uploading.send("3,c\n")
        let first = try await onDedicatedThread { () -> String in
            uploading.setReceiveTimeout(seconds: 20)
            defer { uploading.close() }
            return uploading.receive()
        }
        #expect(first.contains("Success"), "\(first)")
        let after = try await onDedicatedThread {
            try Curl.streamLoad(
                port: port, database: "db", table: "t", body: "4,d\n", headers: ["column_separator": ","])
        }
        #expect(after.json?["Status"] as? String == "Success", "\(after.body)")

        // HTTP connections: six are allowed, a seventh is closed unanswered; one gone, one more fits.
        let capped = try await onDedicatedThread { () -> (Bool, String) in
            let open = try (0..<6).map { _ in try RawHTTP(port: port) }
            let extra = try RawHTTP(port: port)
            let refused = Self.closedUnanswered(extra)
            extra.close()
            open[0].close()
            var answer = ""
            for _ in 0..<50 where !answer.contains("200 OK") {
                let next = try RawHTTP(port: port)
                next.setReceiveTimeout(seconds: 5)
                try? next.send("GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answer = next.receive()
                next.close()
            }
            for client in open.dropFirst() { client.close() }
            return (refused, answer)
        }
        #expect(capped.0, "a connection past server.max_http_connections was served")
        #expect(capped.1.contains("200 OK"), "\(capped.1)")
    }

    /// `load.total_memory_limit_bytes`: while one load holds the budget, another is answered 503
    /// at once (nothing written; the client retries with the same label); a transaction's `load`
    /// refused so stays open and succeeds when sent again.
    @Test(.timeLimit(.minutes(2)))
    func aSpentMemoryBudgetAnswersTooBusy() async throws {
        let (directory, server, _) = try await startServer(
            tables: [Self.table],
            // Room for one load at the floor.
            environment: ["SLUICE_LOAD_TOTAL_MEMORY_LIMIT_BYTES": String(40 << 20)])
        defer {
            _ = server.terminate()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let port = server.port
        let txn = ["db": "db", "table": "t", "label": "tx-busy", "column_separator": ","]
        func transaction(_ action: String, body: String? = nil) async throws -> Curl.Response {
            try await onDedicatedThread { try Curl.transaction(port: port, action: action, headers: txn, body: body) }
        }
        #expect(try await transaction("begin").body.contains("\"OK\""))
        let holding = try RawHTTP(port: port)
        try holding.send(
            "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic cm9vdDo=\r\n"
                + "label: holding\r\ncolumn_separator: ,\r\nContent-Length: 8\r\n\r\n8,h\n")
        var refused: Curl.Response?
        let sawRefusal = try await Eventually.until(timeout: .seconds(10), poll: .milliseconds(50)) {
            refused = try await onDedicatedThread {
                try Curl.streamLoad(
                    port: port, database: "db", table: "t", body: "9,x\n", headers: ["column_separator": ","])
            }
            return refused?.status == 503
        }
        #expect(sawRefusal, "\(refused?.status ?? 0) \(refused?.body ?? "")")
        #expect(refused?.body.contains("load.total_memory_limit_bytes") == true, "\(refused?.body ?? "")")
        let busy = try await transaction("load", body: "20,t\n")
        #expect(busy.status == 503 && busy.body.contains("load.total_memory_limit_bytes"), "\(busy.body)")
        try holding.send("9,i\n")
        let held = try await onDedicatedThread { () -> String in
            holding.setReceiveTimeout(seconds: 20)
            defer { holding.close() }
            return holding.receive()
        }
        #expect(held.contains("Success"), "\(held)")
        // The budget is free again: the same transaction takes the same request, then commits.
        let loaded = try await transaction("load", body: "20,t\n")
        #expect(loaded.status == 200 && loaded.body.contains("\"OK\""), "\(loaded.body)")
        #expect(try await transaction("prepare").body.contains("\"OK\""))
        #expect(try await transaction("commit").body.contains("\"OK\""))
    }
}
