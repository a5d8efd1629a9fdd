import Foundation
import SluiceIO
import SluiceMySQL
import SluiceServer
import SluiceTesting
import Testing

/// Issue 16's privilege matrix over the real front doors: each load and query path, tried by a
/// user holding no privilege (StarRocks' denial) and by one granted what the path needs
/// (allowed); then users, passwords and grants after kill -9.
@Suite(.serialized) struct PrivilegeMatrixTests {
    static let environment = ["SLUICE_ROOT_PASSWORD": "rootpw"]

    struct Server {
        let process: ServerProcess
        let mysqlPort: Int
        var http: Int { process.port }

        func sql(_ user: String, _ password: String) -> SQLClient {
            SQLClient(host: "127.0.0.1", port: http, user: user, password: password)
        }

        func mysql(_ user: String, _ password: String, _ statements: [String]) async throws -> [RawMySQLClient.Reply] {
            let port = mysqlPort
            return try await BlockingIO.run {
                let client = try RawMySQLClient(port: port)
                let login = try client.login(user: user, password: password)
                guard case .ok = login else { return [login] }
                return try statements.map { try client.query($0)[0] }
            }
        }

        func curl(_ arguments: [String]) async throws -> Curl.Response {
            try await BlockingIO.run { try Curl.run(arguments) }
        }
    }

    static func start(_ directory: String, environment: [String: String] = environment) async throws -> Server {
        let port = freeTCPPort()
        let process = try await BlockingIO.run {
            try ServerProcess(
                dataDirectory: directory, arguments: ["--query-port", String(port)], environment: environment)
        }
        return Server(process: process, mysqlPort: port)
    }

    /// The rows of a result (nil for anything else).
    static func rows(_ reply: RawMySQLClient.Reply) -> [[String?]]? {
        if case .rows(_, let rows, _) = reply { rows } else { nil }
    }

    static func isDenied(_ reply: RawMySQLClient.Reply, _ privilege: String) -> Bool {
        guard case .error(5203, "42000", let message) = reply else { return false }
        return message.hasPrefix("Access denied; you need (at least one of) the \(privilege) privilege(s)")
    }

    @Test(.timeLimit(.minutes(4)))
    func eachPathDeniesWithoutItsPrivilegeAndAllowsWithIt() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await Self.start(directory)
        let http = server.http
        let root = server.sql("root", "rootpw")
        for statement in [
            "CREATE DATABASE db",
            "CREATE TABLE db.t (id INT, name VARCHAR(8)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
            "CREATE USER 'jack'@'%' IDENTIFIED BY 'jackpw'",
            "CREATE USER ann IDENTIFIED BY 'annpw'",
            "GRANT SELECT, INSERT ON TABLE db.t TO USER 'ann'@'%'",
            "GRANT CREATE TABLE ON DATABASE db TO ann",
        ] {
            let result = try await root.execute(statement, database: nil)
            #expect(result.error == nil, "\(statement): \(result.error ?? "")")
        }
        // Root's empty password no longer logs in; the configured one does.
        #expect(try await server.sql("root", "").execute("SELECT 1", database: nil).status == 401)

        // Stream Load: INSERT on the table, else 401 `Access denied…`.
        let deniedLoad = try await BlockingIO.run {
            try Curl.streamLoad(
                port: http, database: "db", table: "t", body: "1,a\n", headers: ["column_separator": ","],
                user: "jack:jackpw")
        }
        #expect(deniedLoad.status == 401)
        #expect(
            (deniedLoad.json?["msg"] as? String)?.hasPrefix(
                "Access denied; you need (at least one of) the INSERT privilege(s) on TABLE t") == true,
            "\(deniedLoad.body)")
        let allowedLoad = try await BlockingIO.run {
            try Curl.streamLoad(
                port: http, database: "db", table: "t", body: "1,a\n", headers: ["column_separator": ","],
                user: "ann:annpw")
        }
        #expect(allowedLoad.json?["Status"] as? String == "Success", "\(allowedLoad.body)")
        let wrongPassword = try await BlockingIO.run {
            try Curl.streamLoad(port: http, database: "db", table: "t", body: "1,a\n", user: "ann:nope")
        }
        #expect(wrongPassword.status == 401 && wrongPassword.body.contains("Access denied for user 'ann'"))

        // The transaction interface: INSERT on the table at begin and at every later call.
        func transaction(_ user: String, _ action: String, _ label: String, body: String? = nil) async throws
            -> Curl.Response
        {
            var arguments = [
                "-u", user, "-H", "label: \(label)", "-H", "db: db", "-H", "table: t", "-H", "column_separator: ,",
            ]
            if let body {
                arguments += [
                    "-X", "PUT", "--data-binary", body, "http://127.0.0.1:\(server.http)/api/transaction/\(action)",
                ]
            } else {
                arguments += ["-X", "POST", "http://127.0.0.1:\(server.http)/api/transaction/\(action)"]
            }
            return try await server.curl(arguments)
        }
        let deniedBegin = try await transaction("jack:jackpw", "begin", "tx1")
        #expect(deniedBegin.status == 401 && deniedBegin.body.contains("Access denied; you need"))
        #expect(try await transaction("ann:annpw", "begin", "tx1").json?["Status"] as? String == "OK")
        #expect(try await transaction("ann:annpw", "load", "tx1", body: "2,b").json?["Status"] as? String == "OK")
        let deniedCommit = try await transaction("jack:jackpw", "commit", "tx1")
        #expect(deniedCommit.status == 401, "\(deniedCommit.body)")
        #expect(try await transaction("ann:annpw", "commit", "tx1").json?["Status"] as? String == "OK")

        // SQL over the MySQL protocol: ERR 5203 with StarRocks' text.
        let jackReplies = try await server.mysql(
            "jack", "jackpw",
            [
                "INSERT INTO db.t VALUES (3, 'c')", "SELECT * FROM db.t",
                "CREATE TABLE db.j (id INT) DISTRIBUTED BY HASH(id) BUCKETS 1", "SHOW DATABASES",
            ])
        #expect(Self.isDenied(jackReplies[0], "INSERT"), "\(jackReplies[0])")
        #expect(Self.isDenied(jackReplies[1], "SELECT"), "\(jackReplies[1])")
        #expect(Self.isDenied(jackReplies[2], "CREATE TABLE"), "\(jackReplies[2])")
        #expect(Self.rows(jackReplies[3]) == [["information_schema"]])
        let annReplies = try await server.mysql(
            "ann", "annpw",
            [
                "INSERT INTO db.t VALUES (3, 'c')", "SELECT count(*) FROM db.t",
                "CREATE TABLE db.a (id INT) DISTRIBUTED BY HASH(id) BUCKETS 1", "SHOW DATABASES",
            ])
        if case .error = annReplies[0] { Issue.record("ann's INSERT: \(annReplies[0])") }
        #expect(Self.rows(annReplies[1]) == [["3"]])
        if case .error = annReplies[2] { Issue.record("ann's CREATE TABLE: \(annReplies[2])") }
        #expect(Self.rows(annReplies[3]) == [["db"], ["information_schema"]])
        // A wrong password is refused before any privilege is looked at.
        #expect(
            try await server.mysql("jack", "nope", [])
                == [
                    .error(
                        code: 1045, sqlState: "28000", message: "Access denied for user 'jack' (using password: YES)")
                ])

        // SQL over HTTP: 403 with the same text.
        let httpDenied = try await server.sql("jack", "jackpw").execute("INSERT INTO t VALUES (4, 'd')", database: "db")
        #expect(httpDenied.status == 403 && httpDenied.error?.hasPrefix("Access denied; you need") == true)
        #expect(
            try await server.sql("ann", "annpw").execute("INSERT INTO t VALUES (4, 'd')", database: "db").error == nil)

        // Routine Load: CREATE takes INSERT on the table (checked before the source is contacted).
        let job = """
            CREATE ROUTINE LOAD db.j1 ON t COLUMNS TERMINATED BY ','
            FROM KAFKA ("kafka_broker_list" = "127.0.0.1:1", "kafka_topic" = "events")
            """
        #expect(Self.isDenied(try await server.mysql("jack", "jackpw", [job])[0], "INSERT"))
        let annJob = try await server.mysql("ann", "annpw", [job])[0]
        guard case .error(_, _, let message) = annJob else {
            throw Failure("a job on an unreachable broker was created")
        }
        #expect(!message.contains("Access denied"), "\(message)")

        // Error logs: SELECT on the table (none at all without credentials once root has a password).
        let bad = try await BlockingIO.run {
            try Curl.streamLoad(
                port: http, database: "db", table: "t", body: "1,a,extra\n",
                headers: ["column_separator": ",", "max_filter_ratio": "1"], user: "root:rootpw")
        }
        let url = try #require(bad.json?["ErrorURL"] as? String, "\(bad.body)")
        #expect(try await server.curl([url]).status == 401)
        #expect(try await server.curl(["-u", "jack:jackpw", url]).status == 401)
        let log = try await server.curl(["-u", "ann:annpw", url])
        #expect(log.status == 200 && log.body.contains("Row: 1,a,extra"), "\(log.body)")
        // Label state: some privilege in the database.
        let stateURL = "http://127.0.0.1:\(server.http)/api/db/get_load_state?label=tx1"
        #expect(try await server.curl(["-u", "jack:jackpw", stateURL]).status == 401)
        #expect(try await server.curl(["-u", "ann:annpw", stateURL]).json?["state"] as? String == "VISIBLE")
        // Health and metrics stay open; the status page and its JSON need a login.
        for path in ["/livez", "/readyz", "/metrics"] {
            #expect(try await server.curl(["http://127.0.0.1:\(server.http)\(path)"]).status == 200, "\(path)")
        }
        for path in ["/", "/api/status"] {
            #expect(try await server.curl(["http://127.0.0.1:\(server.http)\(path)"]).status == 401, "\(path)")
            let allowed = try await server.curl(["-u", "ann:annpw", "http://127.0.0.1:\(server.http)\(path)"])
            #expect(allowed.status == 200, "\(path)")
        }

        // kill -9: users, passwords and grants are in the journal; a new root password in the
        // environment does not replace the one already set.
        server.process.kill9()
        let restarted = try await Self.start(directory, environment: ["SLUICE_ROOT_PASSWORD": "other"])
        defer { _ = restarted.process.terminate() }
        #expect(restarted.process.output.contains("SLUICE_ROOT_PASSWORD ignored"))
        #expect(try await restarted.sql("root", "rootpw").execute("SELECT 1", database: nil).error == nil)
        #expect(try await restarted.sql("root", "other").execute("SELECT 1", database: nil).status == 401)
        let afterRestart = try await restarted.mysql("ann", "annpw", ["SELECT count(*) FROM db.t", "SHOW GRANTS"])
        #expect(Self.rows(afterRestart[0]) == [["4"]])
        guard case .rows(_, let grants, _) = afterRestart[1] else { throw Failure("SHOW GRANTS: \(afterRestart[1])") }
        #expect(grants.map { $0[2] ?? "" }.contains("GRANT INSERT, SELECT ON TABLE db.t TO USER 'ann'@'%'"))
        #expect(Self.isDenied(try await restarted.mysql("jack", "jackpw", ["SELECT * FROM db.t"])[0], "SELECT"))
    }

    /// Spec scenarios 48–50 with real clients' steps: roles inactive until set, default roles in
    /// new sessions, password change and drop.
    @Test(.timeLimit(.minutes(3)))
    func rolesPasswordsAndDropOverTheWire() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // auth.open_endpoints decides which operator endpoints need no login.
        let server = try await Self.start(
            directory,
            environment: Self.environment.merging(["SLUICE_AUTH_OPEN_ENDPOINTS": "/livez,/api/status"]) { a, _ in a })
        for (path, status) in [("/livez", 200), ("/api/status", 200), ("/metrics", 401), ("/readyz", 401)] {
            #expect(try await server.curl(["http://127.0.0.1:\(server.http)\(path)"]).status == status, "\(path)")
        }
        defer { _ = server.process.terminate() }
        let setup = try await server.mysql(
            "root", "rootpw",
            [
                "CREATE DATABASE demo",
                "CREATE TABLE demo.t (id INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
                "CREATE USER 'jack'@'%' IDENTIFIED BY 'pw1'", "GRANT SELECT ON TABLE demo.t TO USER 'jack'@'%'",
                "CREATE ROLE loader", "GRANT INSERT ON TABLE demo.t TO ROLE loader", "GRANT loader TO USER 'jack'@'%'",
                "SHOW GRANTS FOR 'jack'@'%'",
            ])
        for reply in setup.dropLast() { if case .error = reply { Issue.record("setup: \(reply)") } }
        guard case .rows(_, let grants, _) = setup.last else { throw Failure("SHOW GRANTS") }
        #expect(grants.contains { ($0[2] ?? "").contains("SELECT") && ($0[2] ?? "").contains("demo") })
        let session = try await server.mysql(
            "jack", "pw1",
            [
                "INSERT INTO demo.t VALUES (1)", "SET ROLE loader", "INSERT INTO demo.t VALUES (1)",
                "SELECT CURRENT_ROLE()",
            ])
        guard case .error(5203, _, let inactive) = session[0] else { throw Failure("inactive role: \(session[0])") }
        #expect(inactive.contains("loader"))
        if case .error = session[2] { Issue.record("after SET ROLE: \(session[2])") }
        #expect(Self.rows(session[3]) == [["loader"]])
        _ = try await server.mysql("root", "rootpw", ["SET DEFAULT ROLE loader TO 'jack'@'%'"])
        let fresh = try await server.mysql("jack", "pw1", ["INSERT INTO demo.t VALUES (2)", "SELECT CURRENT_ROLE()"])
        if case .error = fresh[0] { Issue.record("default role: \(fresh[0])") }
        #expect(Self.rows(fresh[1]) == [["loader"]])
        // Scenario 50.
        _ = try await server.mysql("root", "rootpw", ["ALTER USER 'jack'@'%' IDENTIFIED BY 'pw2'"])
        #expect(
            try await server.mysql("jack", "pw1", []).first.map {
                if case .error(1045, _, _) = $0 { true } else { false }
            } == true)
        #expect(try await server.mysql("jack", "pw2", []) == [])
        #expect(
            try await server.sql("jack", "pw2").execute("SELECT count(*) FROM demo.t", database: nil).rows == [["2"]])
        _ = try await server.mysql("root", "rootpw", ["DROP USER 'jack'@'%'"])
        #expect(
            try await server.mysql("jack", "pw2", []).first.map {
                if case .error(1045, _, _) = $0 { true } else { false }
            } == true)
        #expect(try await server.sql("jack", "pw2").execute("SELECT 1", database: nil).status == 401)
    }

    /// A Routine Load job loads with its creator's privileges: revoking INSERT pauses it with
    /// StarRocks' denial as the reason; granting again and RESUME load every message once.
    @Test(.timeLimit(.minutes(3)))
    func routineLoadJobPausesWhenItsCreatorLosesInsert() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["events": 2])
        defer { broker.stop() }
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var environment = Self.environment
        environment.merge(RoutineLoadKafkaTests.fastBatches) { a, _ in a }
        let server = try await Self.start(directory, environment: environment)
        defer { _ = server.process.terminate() }
        let root = server.sql("root", "rootpw")
        for statement in [
            "CREATE DATABASE db", RoutineLoadKafkaTests.table.replacingOccurrences(of: "TABLE t", with: "TABLE db.t"),
            "CREATE USER ann IDENTIFIED BY PASSWORD '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9'",
            "GRANT INSERT, SELECT ON TABLE db.t TO ann",
        ] {
            #expect(try await root.execute(statement, database: nil).error == nil, "\(statement)")
        }
        let ann = server.sql("ann", "123456")
        try await RoutineLoadKafkaTests.produce(broker.bootstrapServers, topic: "events", partitions: 2, ids: 1...100)
        try await RoutineLoadKafkaTests.createJob(ann, broker.bootstrapServers)
        try await RoutineLoadKafkaTests.expectExactly(1...100, root)

        #expect(try await root.execute("REVOKE INSERT ON TABLE db.t FROM ann", database: nil).error == nil)
        try await RoutineLoadKafkaTests.produce(broker.bootstrapServers, topic: "events", partitions: 2, ids: 101...200)
        try await RoutineLoadKafkaTests.waitFor("the job to pause") {
            try await RoutineLoadKafkaTests.show(root)["State"] == "PAUSED"
        }
        let reason = try await RoutineLoadKafkaTests.show(root)["ReasonOfStateChanged"] ?? ""
        #expect(
            reason.contains("Access denied; you need (at least one of) the INSERT privilege(s) on TABLE t"), "\(reason)"
        )
        // The creator cannot resume a job they may no longer load with.
        #expect(try await ann.execute("RESUME ROUTINE LOAD FOR db.job1", database: nil).status == 403)
        #expect(try await root.execute("GRANT INSERT ON TABLE db.t TO ann", database: nil).error == nil)
        #expect(try await ann.execute("RESUME ROUTINE LOAD FOR db.job1", database: nil).error == nil)
        try await RoutineLoadKafkaTests.expectExactly(1...200, root)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
