import Foundation
import SluiceServer
import SluiceTesting
import Testing

/// Stream Load over real loopback HTTP with curl (spec §1.10).
@Suite(.serialized) struct StreamLoadHTTPTests {
    struct Fixture {
        let directory: String
        let server: ServerProcess
        let sql: SQLClient

        init(environment: [String: String] = [:]) async throws {
            directory = makeTemporaryDirectory()
            server = try ServerProcess(dataDirectory: directory, environment: environment)
            sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
            _ = try await sql.execute("CREATE DATABASE db", database: nil)
            _ = try await sql.execute(
                """
                CREATE TABLE t (id INT NOT NULL, name VARCHAR(8), amount DECIMAL(8, 2), day DATE)
                DUPLICATE KEY(id) PARTITION BY RANGE(day) (PARTITION p1 VALUES LESS THAN ("2024-02-01"),
                PARTITION p2 VALUES LESS THAN ("2024-03-01")) DISTRIBUTED BY HASH(id) BUCKETS 2
                """, database: "db")
        }

        func load(_ body: String, _ headers: [String: String] = [:], extra: [String] = []) throws -> Curl.Response {
            try Curl.streamLoad(
                port: server.port, database: "db", table: "t", body: body, headers: headers, extra: extra)
        }

        func rows(_ query: String = "SELECT id, name, amount, day FROM t ORDER BY id") async throws -> [[String?]] {
            try await sql.execute(query, database: "db").rows
        }

        func close() {
            server.terminate()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static let csv = "1,a,1.50,2024-01-05\n2,b,2.25,2024-02-10\n3,c,\\N,2024-01-31\n"

    @Test(.timeLimit(.minutes(2)))
    func curlLoadsCSVInEveryTransferMode() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let first = try f.load(Self.csv, ["label": "l1", "column_separator": ","])
        #expect(first.status == 200)
        #expect(first.string("Status") == "Success")
        #expect(first.string("Message") == "OK")
        #expect(first.int("NumberTotalRows") == 3)
        #expect(first.int("NumberLoadedRows") == 3)
        #expect(first.int("LoadBytes") == Self.csv.utf8.count)
        let keys = first.body.split(separator: "\n").compactMap { line in
            line.split(separator: "\"").dropFirst().first.map(String.init)
        }
        #expect(
            keys == [
                "TxnId", "Label", "Status", "Message", "NumberTotalRows", "NumberLoadedRows", "NumberFilteredRows",
                "NumberUnselectedRows", "LoadBytes", "LoadTimeMs", "BeginTxnTimeMs", "StreamLoadPlanTimeMs",
                "ReadDataTimeMs", "WriteDataTimeMs", "CommitAndPublishTimeMs",
            ])
        #expect(first.body.contains("\n    \"TxnId\": "))
        #expect(
            try await f.rows() == [
                ["1", "a", "1.50", "2024-01-05"], ["2", "b", "2.25", "2024-02-10"], ["3", "c", nil, "2024-01-31"],
            ])

        let again = try f.load(Self.csv, ["label": "l1", "column_separator": ","])
        #expect(again.string("Status") == "Label Already Exists")
        #expect(again.string("ExistingJobStatus") == "FINISHED")
        #expect(again.int("TxnId") == -1)
        #expect(again.string("Message") == "Label [l1] has already been used.")

        let noExpect = try f.load("4,d,4,2024-01-01\n", ["column_separator": ",", "Expect": ""])
        #expect(noExpect.string("Status") == "Success")
        let http10 = try f.load("5,e,5,2024-01-01\n", ["column_separator": ","], extra: ["-0"])
        #expect(http10.string("Status") == "Success")
        let chunked = try Curl.run(
            [
                "-u", "root:", "-H", "column_separator: ,", "-H", "Transfer-Encoding: chunked", "-T", "-",
                "http://127.0.0.1:\(f.server.port)/api/db/t/_stream_load",
            ], stdin: Data("6,f,6,2024-01-01\n".utf8))
        #expect(chunked.string("Status") == "Success")
        let slash = try Curl.run([
            "-u", "root:", "-H", "column_separator: ,", "-X", "PUT", "--data-binary", "7,g,7,2024-01-01\n",
            "http://127.0.0.1:\(f.server.port)/api/db/t/_stream_load/",
        ])
        #expect(slash.string("Status") == "Success")
        #expect(try await f.rows("SELECT count(*) FROM t") == [["7"]])
        // E17: an empty body is a successful load of nothing (documented in docs/stream-load.md).
        let empty = try f.load("", ["label": "empty"])
        #expect(empty.string("Status") == "Success")
        #expect(empty.int("NumberTotalRows") == 0)
        let state = try Curl.run(["-u", "root:", "http://127.0.0.1:\(f.server.port)/api/db/get_load_state?label=l1"])
        #expect(state.body == #"{"status":"OK","code":"0","msg":"Success","message":"OK","state":"VISIBLE"}"#)
        let unknown = try Curl.run([
            "-u", "root:", "http://127.0.0.1:\(f.server.port)/api/db/get_load_state?label=nope",
        ])
        #expect(unknown.string("state") == "UNKNOWN")
    }

    @Test(.timeLimit(.minutes(2)))
    func badCredentialsAndHeadersAreRefusedWithTheSpecMessages() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let noAuth = try Curl.run([
            "-T", "/dev/null", "http://127.0.0.1:\(f.server.port)/api/db/t/_stream_load", "-D", "-",
        ])
        #expect(noAuth.status == 401)
        #expect(noAuth.body.contains("WWW-Authenticate: Basic realm=\"\""))
        #expect(noAuth.body.contains("Need auth information."))
        let wrong = try Curl.streamLoad(
            port: f.server.port, database: "db", table: "t", body: Self.csv, user: "root:bad")
        #expect(wrong.status == 401)
        #expect(wrong.string("msg")?.hasPrefix("Access denied") == true)

        let cases: [([String: String], String)] = [
            (["format": "xml"], "unknown data format, format=xml"),
            (["timeout": "abc"], "Invalid timeout format"),
            (["timeout": "999999"], "Invalid timeout: 999999. Timeout should between 1 and 259200 seconds"),
            (["strict_mode": "yes"], "Invalid strict mode format. Must be bool type"),
            (
                ["partitions": "p1", "temporary_partitions": "p2"],
                "Can not specify both partitions and temporary partitions"
            ),
            (
                ["compression": "gzip", "Content-Encoding": "gzip"],
                "Only one of http header content-encoding and compression can be set"
            ),
            (["skip_header": "-1"], "skip_header must be equal or greater than 0"),
            (["skip_header": "x"], "Invalid csv load skip_header format"),
            (["trim_space": "maybe"], "Invalid trim space format. Must be bool type"),
            (["format": "json", "strip_outer_array": "yes"], "Invalid strip_outer_array format. Must be bool type"),
            (["max_filter_ratio": "abc"], "Incorrect format of max_filter_ratio: 'abc' is not a number"),
            (["max_filter_ratio": "1.5"], "max_filter_ratio must between 0.0 and 1.0"),
            (["load_mem_limit": "-5"], "load_mem_limit must be equal or greater than 0"),
            (["load_mem_limit": "lots"], "Invalid load mem limit format"),
            (["exec_mem_limit": "0"], "exec_mem_limit must be greater than 0"),
            (["log_rejected_record_num": "-2"], "log_rejected_record_num must be equal or greater than -1"),
            (["log_rejected_record_num": "many"], "Invalid log_rejected_record_num format"),
            (["partial_update": "true"], "Only primary key table support partial update"),
            (["partial_update": "si"], "Invalid partial update flag format. Must be bool type"),
            (["merge_condition": "amount"], "Conditional update only support primary key table t"),
            (["timezone": "Mars/Olympus"], "Unknown or incorrect time zone: 'Mars/Olympus'"),
            (["columns": "id, nope = 1"], "Unknown column 'nope'"),
            (["partitions": "p9"], "Partition p9 does not exist"),
        ]
        for (headers, message) in cases {
            let r = try f.load(Self.csv, headers.merging(["column_separator": ","]) { a, _ in a })
            #expect(r.status == 200)
            #expect(r.string("Status") == "Fail", "\(headers)")
            #expect(r.string("Message")?.contains(message) == true, "\(headers): \(r.string("Message") ?? "")")
        }
        let table = try Curl.streamLoad(port: f.server.port, database: "db", table: "missing", body: Self.csv)
        #expect(table.string("Message") == "unknown table \"db.missing\"")
        let database = try Curl.streamLoad(port: f.server.port, database: "nodb", table: "t", body: Self.csv)
        #expect(database.string("Message") == "unknown database, database=nodb")
        #expect(try await f.rows("SELECT count(*) FROM t") == [["0"]])
        // Unknown headers are ignored; Doris spellings work.
        let doris = try f.load(
            "8|h|8|2024-01-01",
            ["column_separator": "|", "line_delimiter": "\\n", "two_phase_commit": "false", "x-whatever": "1"])
        #expect(doris.string("Status") == "Success")
    }

    @Test(.timeLimit(.minutes(2)))
    func filteredRowsFailTheLoadWithAnErrorLog() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let body = "1,a,1,2024-01-01\nbad,b,2,2024-01-02\n3,c,3,2025-06-01\n4,d,4,2024-01-04\n"
        let failed = try f.load(body, ["label": "q1", "column_separator": ","])
        #expect(failed.string("Status") == "Fail")
        #expect(
            failed.string("Message") == "too many filtered rows: 2 of 4 rows filtered, ratio 0.5 > max_filter_ratio 0")
        #expect(failed.int("NumberFilteredRows") == 2)
        #expect(failed.int("NumberLoadedRows") == 2)
        let url = try #require(failed.string("ErrorURL"))
        #expect(url.hasPrefix("http://127.0.0.1:\(f.server.port)/api/_load_error_log?file=error_log_"))
        let log = try Curl.run([url])
        #expect(log.body.contains("Row: bad,b,2,2024-01-02"))
        #expect(log.body.contains("out of partition ranges"))
        #expect(try await f.rows("SELECT count(*) FROM t") == [["0"]])
        // The failed label is free again; a ratio of 0.5 accepts 2 bad rows of 4.
        let tolerant = try f.load(body, ["label": "q1", "column_separator": ",", "max_filter_ratio": "0.5"])
        #expect(tolerant.string("Status") == "Success")
        #expect(tolerant.string("ErrorURL") != nil)
        #expect(try await f.rows("SELECT count(*) FROM t") == [["2"]])
        // log_rejected_record_num saves the raw rejected rows and reports RejectedRecordPath.
        let saved = try f.load(
            body, ["column_separator": ",", "max_filter_ratio": "1", "log_rejected_record_num": "-1"])
        let path = try #require(saved.string("RejectedRecordPath"))
        #expect(path.hasPrefix("127.0.0.1:"))
        let file = String(path.dropFirst("127.0.0.1:".count))
        let records = try String(contentsOfFile: file.hasPrefix("/") ? file : f.directory + "/" + file, encoding: .utf8)
        #expect(records == "bad,b,2,2024-01-02\n3,c,3,2025-06-01\n")
        #expect(
            try f.load(body, ["column_separator": ",", "max_filter_ratio": "1"]).string("RejectedRecordPath") == nil)
        // where: unselected rows are not errors and do not count in the ratio.
        let filtered = try f.load(
            "10,x,1,2024-01-01\n11,y,1,2024-01-01\n12,z,1,2024-01-01\n",
            ["column_separator": ",", "where": "id != 11"])
        #expect(filtered.string("Status") == "Success")
        #expect(filtered.int("NumberUnselectedRows") == 1)
        #expect(filtered.int("NumberLoadedRows") == 2)
        let json = try f.load(
            "{\"id\": 20, \"name\": \"j\", \"day\": \"2024-01-01\"}\n{\"id\": 21, \"name\": ", ["format": "json"])
        #expect(json.string("Status") == "Fail")
        #expect(json.int("NumberFilteredRows") == 1)
    }

    @Test(.timeLimit(.minutes(2)))
    func oversizeBodiesAndTimeoutsFail() async throws {
        let f = try await Fixture(environment: ["SLUICE_LOAD_STREAMING_LOAD_MAX_MB": "1"])
        defer { f.close() }
        let big = String(repeating: "1,a,1,2024-01-01\n", count: 80_000)
        let sized = try f.load(big, ["column_separator": ","])
        #expect(sized.string("Message")?.contains("exceed limit: 1048576") == true)
        #expect(sized.string("Message")?.contains("streaming_load_max_mb") == true)
        let chunked = try Curl.run(
            [
                "-u", "root:", "-H", "column_separator: ,", "-H", "Transfer-Encoding: chunked", "-T", "-",
                "http://127.0.0.1:\(f.server.port)/api/db/t/_stream_load",
            ], stdin: Data(big.utf8))
        #expect(chunked.string("Message")?.contains("exceed limit") == true)
        let row = "1,a,1,2024-01-01\n"
        let socket = try RawHTTP(port: f.server.port)
        try socket.send(
            "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cm9vdDo=\r\nlabel: slow-body\r\ntimeout: 1\r\ncolumn_separator: ,\r\nContent-Length: \(row.utf8.count * 2)\r\n\r\n"
                + row)
        // The body stalls past the 1 s timeout: the server's timer aborts the load.
        #expect(
            try Eventually.until(timeout: .seconds(60), poll: .milliseconds(50)) {
                try Curl.run([
                    "-u", "root:", "http://127.0.0.1:\(f.server.port)/api/db/get_load_state?label=slow-body",
                ]).string("state") == "ABORTED"
            })
        try? socket.send(row)
        let slow = socket.receive()
        socket.close()
        #expect(slow.contains("\"Status\": \"Fail\""))
        #expect(slow.contains("\"Message\": \"timeout by txn manager\""))
        #expect(try await f.rows("SELECT count(*) FROM t") == [["0"]])
    }

    @Test(.timeLimit(.minutes(2)))
    func aClientThatDisconnectsMidBodyLeavesNothing() async throws {
        let f = try await Fixture()
        defer { f.close() }
        // A few rows, and ~10 MB: several hops, one being parsed when the client goes away.
        for (label, rows) in [("cut", 100), ("cut-big", 600_000)] {
            let socket = try RawHTTP(port: f.server.port)
            let head =
                "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cm9vdDo=\r\nlabel: \(label)\r\ncolumn_separator: ,\r\nload_mem_limit: 1048576\r\nContent-Length: 100000000\r\n\r\n"
            try socket.send(head + String(repeating: "1,a,1,2024-01-01\n", count: rows))
            socket.close()
            var state = ""
            try Eventually.until(timeout: .seconds(60), poll: .milliseconds(50)) {
                state =
                    try Curl.run([
                        "-u", "root:", "http://127.0.0.1:\(f.server.port)/api/db/get_load_state?label=\(label)",
                    ]).string("state") ?? ""
                return state == "ABORTED"
            }
            #expect(state == "ABORTED", "\(label)")
            #expect(try await f.rows("SELECT count(*) FROM t") == [["0"]])
            let reuse = try f.load(Self.csv, ["label": label, "column_separator": ","])
            #expect(reuse.string("Status") == "Success")
            #expect(try await f.rows("SELECT count(*) FROM t") != [["0"]])
            _ = try await f.rows("TRUNCATE TABLE t")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func killNineMidLoadLeavesNothingVisibleAndTheLabelFree() async throws {
        let (directory, server, _) = try await startServer(tables: [
            "CREATE TABLE t (id INT, s VARCHAR(20)) DISTRIBUTED BY HASH(id) BUCKETS 2"
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Half of a large body arrives (enough to flush segments), then the server dies.
        let socket = try RawHTTP(port: server.port)
        let half = String(repeating: "1,abcdefghij\n", count: 800_000)
        try socket.send(
            "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cm9vdDo=\r\nlabel: big\r\ncolumn_separator: ,\r\nload_mem_limit: 1048576\r\nContent-Length: \(half.utf8.count * 2)\r\n\r\n"
                + half)
        // Wait until the server flushed part of the body to segment files, then kill it.
        let tablets = directory + "/tablets"
        #expect(
            Eventually.until(timeout: .seconds(20)) {
                let files = FileManager.default.enumerator(atPath: tablets)?.allObjects as? [String] ?? []
                return files.contains { $0.hasSuffix(".seg") }
            })
        server.kill9()
        socket.close()
        let restarted = try ServerProcess(dataDirectory: directory)
        let again = SQLClient(host: "127.0.0.1", port: restarted.port, user: "root", password: "")
        #expect(try await again.execute("SELECT count(*) FROM t", database: "db").rows == [["0"]])
        let retry = try Curl.streamLoad(
            port: restarted.port, database: "db", table: "t", body: "1,x\n2,y\n",
            headers: ["label": "big", "column_separator": ","])
        #expect(retry.string("Status") == "Success")
        #expect(restarted.terminate().status == 0)
    }
}
