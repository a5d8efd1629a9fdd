import Foundation
import SluiceServer
import SluiceStorage
import SluiceTesting
import Testing

/// The hostile-input probe's reproducers (issue 11) against a real server over loopback: each
/// input gets a clear answer, the process stays up, committed data is untouched.
@Suite(.serialized) struct HostileInputTests {
    static let tables = [
        "CREATE TABLE dec (a BIGINT, d DECIMAL(38,2)) DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1",
        "CREATE TABLE t (id BIGINT, a VARCHAR(16)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    ]
    static let nines = String(repeating: "9", count: 39)

    static func load(_ port: Int, table: String, body: String, headers: [String: String]) async throws -> Curl.Response
    {
        try await onDedicatedThread {
            try Curl.streamLoad(port: port, database: "db", table: table, body: body, headers: headers)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func probeInputsGetClearAnswers() async throws {
        let (directory, server, sql) = try await startServer(tables: Self.tables)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try await sql.execute("INSERT INTO t VALUES (1, 'kept')", database: "db").error == nil)

        // D2: 39-digit decimals through CSV, JSON, INSERT and CAST. As in StarRocks, a value that
        // does not convert is NULL outside strict mode and a filtered row in it.
        let csv = try await Self.load(server.port, table: "dec", body: "1\t\(Self.nines)\n", headers: [:])
        #expect(csv.string("Status") == "Success" && csv.int("NumberLoadedRows") == 1, "\(csv.body)")
        let strict = try await Self.load(
            server.port, table: "dec", body: "1\t\(Self.nines)\n", headers: ["strict_mode": "true"])
        #expect(strict.string("Status") == "Fail" && strict.int("NumberFilteredRows") == 1, "\(strict.body)")
        let lenient = try await Self.load(
            server.port, table: "dec", body: "2\t\(Self.nines)\n2\t1.5\n",
            headers: ["strict_mode": "true", "max_filter_ratio": "1"])
        #expect(lenient.string("Status") == "Success" && lenient.int("NumberLoadedRows") == 1, "\(lenient.body)")
        let json = try await Self.load(
            server.port, table: "dec", body: "{\"a\":3,\"d\":\(Self.nines)}",
            headers: ["format": "json", "strict_mode": "true"])
        #expect(json.string("Status") == "Fail", "\(json.body)")
        #expect(try await sql.execute("INSERT INTO dec VALUES (4, \(Self.nines))", database: "db").error != nil)
        #expect(try await sql.execute("SELECT CAST('\(Self.nines)' AS DECIMAL(10,2))", database: "db").rows == [[nil]])

        // D1: deep expressions in SQL and in the where / columns headers.
        let chain = Array(repeating: "1", count: 10_000).joined(separator: "+")
        let deep = try await sql.execute("SELECT \(chain)", database: "db")
        #expect(deep.error?.contains("maximum depth of an expression tree") == true, "\(deep)")
        let parens = String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000)
        #expect(try await sql.execute("SELECT \(parens)", database: "db").error != nil)
        let nots = try await sql.execute("SELECT " + String(repeating: "NOT ", count: 10_000) + "1", database: "db")
        #expect(nots.error != nil)
        let ands = try await sql.execute(
            "SELECT * FROM t WHERE " + Array(repeating: "id = 1", count: 10_000).joined(separator: " AND "),
            database: "db")
        #expect(ands.error != nil)
        let whereHeader = try await Self.load(
            server.port, table: "t", body: "5,x\n",
            headers: [
                "column_separator": ",", "where": String(repeating: "NOT ", count: 5_000) + "id = 5",
            ])
        #expect(whereHeader.string("Status") == "Fail", "\(whereHeader.body)")
        let columnsHeader = try await Self.load(
            server.port, table: "t", body: "5,x\n",
            headers: [
                "column_separator": ",",
                "columns": "c1, c2, id = " + String(repeating: "abs(", count: 5_000) + "c1"
                    + String(repeating: ")", count: 5_000) + ", a = c2",
            ])
        #expect(columnsHeader.string("Status") == "Fail", "\(columnsHeader.body)")

        // D3, D4, D5: arithmetic at the ends of BIGINT and DOUBLE.
        #expect(try await sql.execute("SELECT right('abc', -9223372036854775807-1)", database: "db").rows == [[""]])
        #expect(try await sql.execute("SELECT floor(1e308), ceil(-1e308)", database: "db").rows == [[nil, nil]])
        let limit = try await sql.execute(
            "SELECT * FROM TABLE(generate_series(1, 10)) t LIMIT 9223372036854775807 OFFSET 5", database: "db")
        #expect(limit.rows.count == 5)

        // D6: malformed JSON bodies fail in bounded memory.
        for body in [
            "{\"a\"}]", "[{\"a\"}}]", "[{\"id\"}:1}]", "]]]]",
            "{\"id\": 1, \"a\": \"" + String(repeating: "x", count: 1_000),
        ] {
            let answer = try await Self.load(server.port, table: "t", body: body, headers: ["format": "json"])
            #expect(answer.string("Status") == "Fail", "\(body): \(answer.body)")
        }

        // D7: query_timeout and query_mem_limit from sessionVariables.
        let endless = try await sql.execute(
            "SELECT count(*) FROM TABLE(generate_series(1, 9223372036854775807)) t", database: "db",
            sessionVariables: ["query_timeout": 1])
        #expect(endless.error?.contains("timeout of 1 seconds") == true, "\(endless)")
        let huge = try await sql.execute(
            "SELECT * FROM TABLE(generate_series(1, 9223372036854775807)) t", database: "db",
            sessionVariables: ["query_mem_limit": 33_554_432])
        #expect(huge.error?.contains("query_mem_limit") == true, "\(huge)")

        // max_filter_ratio is validated.
        for ratio in ["NaN", "abc", "-1", "1.5", "inf"] {
            let answer = try await Self.load(
                server.port, table: "t", body: "6,y\n", headers: ["column_separator": ",", "max_filter_ratio": ratio])
            #expect(answer.string("Status") == "Fail", "\(ratio): \(answer.body)")
            #expect(answer.string("Message")?.contains("max_filter_ratio") == true, "\(ratio): \(answer.body)")
        }

        // Still up, committed data untouched.
        #expect(server.isRunning)
        #expect(try await sql.execute("SELECT count(*) FROM t", database: "db").rows == [["1"]])
        #expect(
            try await sql.execute("SELECT count(*), count(d), sum(d) FROM dec", database: "db").rows == [
                ["2", "1", "1.50"]
            ])
        #expect(server.terminate().status == 0)
    }

    /// D9: silent connections are closed after `server.idle_timeout_seconds`, slow heads after
    /// `server.header_timeout_seconds`; a
    /// stalled body fails at the load's `timeout` by a timer; SIGTERM does not wait on a stalled
    /// upload longer than `server.shutdown_grace_seconds`.
    @Test(.timeLimit(.minutes(2)))
    func stalledClientsAreCutOff() async throws {
        let (directory, server, sql) = try await startServer(
            tables: Self.tables,
            environment: [
                "SLUICE_SERVER_IDLE_TIMEOUT_SECONDS": "3", "SLUICE_SERVER_HEADER_TIMEOUT_SECONDS": "3",
                "SLUICE_SERVER_SHUTDOWN_GRACE_SECONDS": "2",
            ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = server.port
        let closed: [String] = try await onDedicatedThread {
            let silent = try RawHTTP(port: port)
            silent.setReceiveTimeout(seconds: 20)
            let slowHeader = try RawHTTP(port: port)
            slowHeader.setReceiveTimeout(seconds: 20)
            try slowHeader.send("GET /api/health HTTP/1.1\r\nHost: x\r\n")
            defer { silent.close(); slowHeader.close() }
            return [silent.receive(), slowHeader.receive()]
        }
        #expect(closed == ["", ""], "idle connections were answered instead of closed: \(closed)")

        let stalled: String = try await onDedicatedThread {
            let client = try RawHTTP(port: port)
            client.setReceiveTimeout(seconds: 20)
            defer { client.close() }
            try client.send(
                "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic cm9vdDo=\r\n"
                    + "label: stalled\r\ntimeout: 1\r\ncolumn_separator: ,\r\nContent-Length: 1000\r\n\r\n7,z\n")
            return client.receive()
        }
        #expect(stalled.contains("timeout by txn manager"), "\(stalled)")
        let state = try await onDedicatedThread {
            try Curl.run(["-u", "root:", "http://127.0.0.1:\(port)/api/db/get_load_state?label=stalled"])
        }
        #expect(state.body.contains("RUNNING") == false, "\(state.body)")
        #expect(try await sql.execute("SELECT count(*) FROM t", database: "db").rows == [["0"]])

        // A client that disconnects stops its endless SELECT (default query_timeout, 300 s).
        let query = "{\"query\":\"SELECT count(*) FROM TABLE(generate_series(1, 9223372036854775807)) t\"}"
        try await onDedicatedThread {
            let client = try RawHTTP(port: port)
            try client.send(
                "POST /api/v1/catalogs/default_catalog/sql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic cm9vdDo=\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(query.utf8.count)\r\n\r\n\(query)")
            client.close()
        }
        let stopped = try await onDedicatedThread {
            server.waitForOutput(containing: "statement stopped: Query execution was interrupted")
        }
        #expect(stopped, "the SELECT of a disconnected client kept running")

        // SIGTERM while an upload with the default timeout stalls mid-body.
        let client = try RawHTTP(port: port)
        defer { client.close() }
        try client.send(
            "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic cm9vdDo=\r\n"
                + "label: at-shutdown\r\ncolumn_separator: ,\r\nContent-Length: 1000\r\n\r\n8,w\n")
        _ = try await sql.execute("SELECT 1", database: "db")  // the upload has begun
        let stop = server.terminate(timeout: 30)
        #expect(stop.seconds < 8, "SIGTERM took \(stop.seconds) s with a stalled upload")
        let report = try DataDirectoryCheck.run(path: directory)
        #expect(report.problems == [])
    }
}
