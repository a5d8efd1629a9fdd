import Foundation
import SluiceIO
import SluiceServer
import SluiceTesting
import Testing

/// Issue 15: configuration mistakes and start-up failures are caught early and explained —
/// unknown keys with the nearest valid one, bad values, `sluice config validate`, bind errors
/// naming the address, `--log-level`/`--log-format`, and `sluice` alone failing.
@Suite struct CommandLineTests {
    static func sluice(_ arguments: [String], environment: [String: String] = [:]) async throws -> (
        status: Int32, out: String, err: String
    ) {
        let assignments = environment.map { "\($0.key)=\($0.value)" }
        return try await MySQLClientsTests.run(assignments + [ServerProcess.executable] + arguments)
    }

    static func write(_ text: String) throws -> String {
        let path = makeTemporaryDirectory() + "/config.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func unknownKeysAndBadValuesNameTheKey() async throws {
        let typo = try Self.write(#"{"data_dir": "d", "server": {"http_prot": 9000}}"#)
        await #expect(throws: ConfigurationError.self) {
            try await SluiceConfiguration.load(file: typo, overrides: [:], environment: [:])
        }
        let checked = try await Self.sluice(["config", "validate", "--config", typo])
        #expect(checked.status == 64)
        #expect(
            checked.err.contains(
                "unknown configuration key 'server.http_prot' in \(typo); did you mean 'server.http_port'?"),
            "\(checked.err)")
        #expect(checked.err.contains("See 'sluice config validate --help'."))
        let wrongType = try Self.write(#"{"data_dir": "d", "storage": {"group_commit": 3}}"#)
        #expect(
            try await Self.sluice(["config", "validate", "--config", wrongType]).err.contains(
                "storage.group_commit in \(wrongType) must be true or false, got 3"))
        let level = try Self.write(#"{"data_dir": "d", "log": {"level": "verbose"}}"#)
        let serve = try await Self.sluice(["serve", "--config", level])
        #expect(serve.status == 64)
        #expect(
            serve.err.contains(
                "log.level must be one of trace, debug, info, notice, warning, error, critical, got 'verbose'"))
        #expect(serve.err.contains("See 'sluice serve --help'."))
        #expect(!serve.err.contains("USAGE: sluice <subcommand>"))
        let environment = try await Self.sluice(
            ["config", "validate", "--config", ExamplesTests.root.appendingPathComponent("config/sluice.json").path],
            environment: ["SLUICE_STORAGE_GROUP_COMMIT": "yes"])
        #expect(environment.err.contains("storage.group_commit must be true or false, got 'yes'"), "\(environment.err)")
        let shipped = try await Self.sluice(
            ["config", "validate", "--config", ExamplesTests.root.appendingPathComponent("config/sluice.json").path])
        #expect(shipped.status == 0, "\(shipped.err)")
        #expect(
            ConfigurationSchema.nearest(to: "routine_load.max_concurent_tasks") == "routine_load.max_concurrent_tasks")
    }

    @Test func produceGivesUpOnUnreachableBrokers() async throws {
        let produce = try await Self.sluice([
            "produce", "--brokers", "127.0.0.1:\(freeTCPPort())", "--topic", "events", "--generate-events", "3",
            "--timeout", "1",
        ])
        #expect(produce.status == 2)
        #expect(produce.err.contains("cannot reach the Kafka brokers within 1 s"), "\(produce.err)")
    }

    @Test func noSubcommandFailsWithTheHelp() async throws {
        let bare = try await Self.sluice([])
        #expect(bare.status == 64)
        #expect(bare.err.contains("SUBCOMMANDS:"))
    }

    @Test func bindFailuresNameTheAddress() async throws {
        let taken = freeTCPPort()
        let holder = try await BlockingIO.run { () throws -> Int32 in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(taken).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0, listen(fd, 1) == 0 else { throw CocoaError(.featureUnsupported) }
            return fd
        }
        defer { close(holder) }
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let http = try await Self.sluice([
            "serve", "--data-dir", directory, "--http-port", String(taken), "--query-port", "0",
        ])
        #expect(http.status != 0)
        #expect(
            http.err.contains(
                "cannot listen on 127.0.0.1:\(taken) for HTTP (server.http_port, --http-port): Address already in use"),
            "\(http.err)")
        let mysql = try await Self.sluice([
            "serve", "--data-dir", directory, "--http-port", "0", "--query-port", String(taken),
        ])
        #expect(mysql.err.contains("cannot listen on 127.0.0.1:\(taken) for the MySQL protocol"), "\(mysql.err)")
    }

    @Test func jsonLogsAreOneObjectPerLine() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await BlockingIO.run {
            try ServerProcess(dataDirectory: directory, arguments: ["--log-format", "json", "--log-level", "debug"])
        }
        let log = server.terminate()
        #expect(log.status == 0)
        let lines = server.output.split(separator: "\n").filter { !$0.isEmpty }
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] != nil && object?["message"] != nil, "\(line)")
        }
    }
}

/// Issue 15: the log says what an operator needs — one line per finished load, a warning per
/// failed load and refused login, a notice per DROP — and nothing twice.
@Suite struct OperatorLogTests {
    @Test func loadsLoginsAndDropsAreLogged() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await BlockingIO.run {
            try ServerProcess(dataDirectory: directory, arguments: ["--log-format", "json"])
        }
        let sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        _ = try await sql.execute("CREATE DATABASE db", database: nil)
        _ = try await sql.execute(
            "CREATE TABLE t (id INT, name VARCHAR(8)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id)", database: "db")
        let ok = try Curl.streamLoad(
            port: server.port, database: "db", table: "t", body: "1,a\n2,b\n",
            headers: ["label": "good", "column_separator": ","])
        #expect(ok.string("Status") == "Success")
        let bad = try Curl.streamLoad(
            port: server.port, database: "db", table: "t", body: "x,a\n",
            headers: ["label": "bad", "column_separator": ",", "strict_mode": "true"])
        #expect(bad.string("Status") == "Fail")
        _ = try Curl.run(["-u", "root:wrong", "http://127.0.0.1:\(server.port)/api/db/get_load_state?label=good"])
        _ = try await sql.execute("DROP TABLE t", database: "db")
        #expect(server.terminate().status == 0)
        let events = server.output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String]
        }
        func event(_ message: String) -> [String: String]? { events.first { $0["message"] == message } }
        let finished = try #require(event("stream load finished"))
        #expect(finished["level"] == "info")
        #expect(finished["label"] == "good" && finished["table"] == "db.t" && finished["loaded"] == "2", "\(finished)")
        #expect(finished["status"] == "Success" && finished["ms"] != nil && finished["bytes"] == "8")
        let failed = try #require(event("stream load failed"))
        #expect(failed["level"] == "warning" && failed["label"] == "bad" && failed["filtered"] == "1")
        #expect(failed["reason"]?.hasPrefix("too many filtered rows: 1 of ") == true)
        #expect(event("HTTP login refused")?["user"] == "root")
        #expect(event("HTTP login refused")?["level"] == "warning")
        #expect(event("table dropped")?["table"] == "db.t")
        #expect(event("table dropped")?["level"] == "notice")
    }
}

/// Issue 15: `sluice sql` runs scripts (`-f`, standard input), `\G`, three output formats, and
/// says plainly when the server cannot be reached.
@Suite struct SQLCommandTests {
    static func sql(_ arguments: [String], stdin: String? = nil) async throws -> (
        status: Int32, out: String, err: String
    ) {
        guard let stdin else { return try await CommandLineTests.sluice(["sql"] + arguments) }
        let file = makeTemporaryDirectory() + "/stdin.sql"
        try stdin.write(toFile: file, atomically: true, encoding: .utf8)
        let command = ([ServerProcess.executable, "sql"] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try await MySQLClientsTests.run(["bash", "-c", "\(command) < '\(file)'"])
    }

    @Test func scriptsFormatsAndErrors() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await BlockingIO.run { try ServerProcess(dataDirectory: directory) }
        defer { _ = server.terminate() }
        let port = ["--port", String(server.port)]
        #expect(try await Self.sql(port + ["CREATE DATABASE demo"]).status == 0)
        // The README's line: the whole demo script, comments and all.
        let demo = ExamplesTests.root.appendingPathComponent("examples/sql/demo.sql").path
        let script = try await Self.sql(port + ["-d", "demo", "-f", demo])
        #expect(script.status == 0, "\(script.err)")
        #expect(script.out.contains("100000 rows affected"), "\(script.out)")
        // Standard input: USE carries over, \G prints vertically, TSV escapes tabs and newlines.
        let piped = try await Self.sql(
            port,
            stdin:
                "USE demo;\nSELECT count(*) AS n FROM events\\G\nSELECT concat('a\\tb', '\\n', 'c') AS s, NULL AS z;\n")
        #expect(piped.status == 0, "\(piped.err)")
        #expect(
            piped.out.contains("*************************** 1. row ***************************\nn: 100000\n"),
            "\(piped.out)")
        #expect(piped.out.contains("s\tz\na\\tb\\nc\tNULL\n"), "\(piped.out)")
        let table = try await Self.sql(
            port + [
                "-d", "demo", "--format", "table",
                "SELECT device, count(*) AS n FROM events GROUP BY device ORDER BY device LIMIT 2",
            ])
        #expect(
            table.out.hasPrefix("+---------+-------+\n| device  | n     |\n+---------+-------+\n| android | 20000 |\n"),
            "\(table.out)")
        let json = try await Self.sql(port + ["--format", "json", "SELECT 1 AS a, NULL AS b"])
        #expect(json.out == "{\"a\":\"1\",\"b\":null}\n")
        // A script stops at its first failure (exit 1) unless --force.
        let failing = try await Self.sql(port + ["SELEC 1; SELECT 2 AS two"])
        #expect(failing.status == 1 && !failing.out.contains("two"))
        #expect(try await Self.sql(port + ["--force", "SELEC 1; SELECT 2 AS two"]).out.contains("two"))
        // Interactive at a terminal (script(1) gives it one): multi-line statements, history
        // kept across sessions in $HOME/.sluice_history.
        let home = makeTemporaryDirectory()
        let session = try await MySQLClientsTests.run([
            "bash", "-c",
            "printf 'SELECT 1 AS one;\\nSELECT\\n 2 AS two;\\nquit\\n' | HOME='\(home)' script -qec "
                + "\"'\(ServerProcess.executable)' sql --port \(server.port)\" /dev/null",
        ])
        #expect(session.out.contains("| one |") && session.out.contains("| two |"), "\(session.out)")
        let history = (try? String(contentsOfFile: home + "/.sluice_history", encoding: .utf8)) ?? ""
        #expect(history.contains("AS\\040one;") && history.contains("AS\\040two;"), "\(history)")
        let unreachable = try await Self.sql(["--port", String(freeTCPPort()), "SELECT 1"])
        #expect(unreachable.status == 2)
        #expect(unreachable.err.contains("ERROR: cannot reach server at 127.0.0.1:"), "\(unreachable.err)")
    }
}
