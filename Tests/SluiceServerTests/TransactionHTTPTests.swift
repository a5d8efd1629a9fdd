import Foundation
import SluiceServer
import SluiceTesting
import Testing

/// The Stream Load transaction interface over loopback (spec §2.6, §2.11).
@Suite(.serialized) struct TransactionHTTPTests {
    struct Fixture {
        let directory: String
        var server: ServerProcess
        var port: Int { server.port }

        init(directory: String? = nil) async throws {
            self.directory = directory ?? makeTemporaryDirectory()
            server = try ServerProcess(dataDirectory: self.directory)
            if directory == nil {
                let sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
                _ = try await sql.execute("CREATE DATABASE db", database: nil)
                _ = try await sql.execute(
                    "CREATE TABLE t (id INT NOT NULL, s VARCHAR(10)) DISTRIBUTED BY HASH(id) BUCKETS 2", database: "db")
            }
        }

        func call(_ op: String, _ label: String?, _ headers: [String: String] = [:], body: String? = nil) throws
            -> Curl.Response
        {
            var all = headers
            if let label { all["label"] = label }
            if all["db"] == nil { all["db"] = "db" }
            if op == "begin" || op == "load", all["table"] == nil { all["table"] = "t" }
            if body != nil { all["column_separator"] = "," }
            return try Curl.transaction(port: port, action: op, headers: all, body: body)
        }

        func count() async throws -> String? {
            let sql = SQLClient(host: "127.0.0.1", port: port, user: "root", password: "")
            return try await sql.execute("SELECT count(*) FROM t", database: "db").rows.first?.first ?? nil
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func theSpecScenariosAndIdempotencyMatrix() async throws {
        let f = try await Fixture()
        defer {
            f.server.terminate()
            try? FileManager.default.removeItem(atPath: f.directory)
        }
        // T1, T2, T12
        #expect(try f.call("begin", nil).string("Message") == "Empty label.")
        #expect(try f.call("begin", "x", ["db": ""]).string("Message")?.contains("No database selected.") == true)
        #expect(try f.call("begin", "x", ["transaction_type": "multi"]).string("Status") == "INVALID_ARGUMENT")
        // T4: load/prepare/commit/rollback without begin.
        #expect(try f.call("load", "none", body: "1,a\n").string("Status") == "FAILED")
        #expect(
            try f.call("load", "none", body: "1,a\n").string("Message")?.hasPrefix(
                "Can't find the transaction with db [db] and label[none]") == true)
        #expect(try f.call("prepare", "none").string("Status") == "FAILED")
        #expect(try f.call("commit", "none").string("Status") == "FAILED")
        #expect(try f.call("rollback", "none").string("Status") == "FAILED")
        // Happy path with two loads, prepare, commit; T13 double commit; T14 rollback after commit.
        let begin = try f.call("begin", "a")
        #expect(begin.string("Status") == "OK")
        let id = try #require(begin.int("TxnId"))
        // T3: begin twice while open.
        let twice = try f.call("begin", "a")
        #expect(twice.string("Status") == "LABEL_ALREADY_EXISTS")
        #expect(twice.string("ExistingJobStatus") == "")
        #expect(try f.call("load", "a", body: "1,x\n2,y\n").int("LoadBytes") == 8)
        #expect(try f.call("load", "a", body: "3,z\n").string("Status") == "OK")
        // T8: different data headers.
        #expect(
            try f.call("load", "a", ["where": "id > 1"], body: "4,w\n").string("Message")
                == "load request not equal last.")
        let prepared = try f.call("prepare", "a", ["prepared_timeout": "600"])
        #expect(prepared.string("Status") == "OK")
        #expect(prepared.int("NumberLoadedRows") == 3)
        #expect(try await f.count() == "0")
        #expect(try f.call("load", "a", body: "5,v\n").string("Status") == "TXN_NOT_EXISTS")
        #expect(try f.call("prepare", "a").string("Status") == "TXN_NOT_EXISTS")
        let prepBegin = try f.call("begin", "a")
        #expect(prepBegin.string("Status") == "LABEL_ALREADY_EXISTS")
        #expect(prepBegin.string("ExistingJobStatus") == "RUNNING")
        #expect(try f.call("commit", "a").string("Status") == "OK")
        #expect(try await f.count() == "3")
        let again = try f.call("commit", "a")
        #expect(again.string("Status") == "OK")
        #expect(again.string("Message") == "Transaction \(id) has already committed, label is a")
        let abortCommitted = try f.call("rollback", "a")
        #expect(abortCommitted.string("Status") == "FAILED")
        #expect(abortCommitted.string("Message") == "Can not abort VISIBLE transaction \(id), label is a")
        let finished = try f.call("begin", "a")
        #expect(finished.string("ExistingJobStatus") == "FINISHED")
        #expect(try f.call("load", "a", body: "6,u\n").string("Status") == "TXN_NOT_EXISTS")
        // T15: double rollback; commit after rollback; begin after rollback.
        #expect(try f.call("begin", "b").string("Status") == "OK")
        #expect(try f.call("load", "b", body: "7,t\n").string("Status") == "OK")
        #expect(try f.call("rollback", "b").string("Status") == "OK")
        let rolled = try f.call("rollback", "b")
        #expect(rolled.string("Status") == "OK")
        #expect(rolled.string("Message")?.hasSuffix("has already aborted, label is b") == true)
        #expect(try f.call("commit", "b").string("Message")?.hasPrefix("Can not commit ABORTED transaction") == true)
        #expect(try f.call("begin", "b").string("Status") == "OK")
        // T6: commit with no data.
        let empty = try f.call("commit", "b")
        #expect(empty.string("Status") == "INTERNAL_ERROR")
        #expect(empty.string("Message")?.contains("hasn't send any data yet") == true)
        // One-phase commit (commit without prepare).
        #expect(try f.call("begin", "c").string("Status") == "OK")
        #expect(try f.call("load", "c", body: "8,s\n").string("Status") == "OK")
        #expect(try f.call("commit", "c").int("NumberLoadedRows") == 1)
        #expect(try await f.count() == "4")
        // T7: a mapping error aborts; T9: prepared_timeout 0.
        #expect(try f.call("begin", "d").string("Status") == "OK")
        #expect(try f.call("load", "d", ["columns": "nope"], body: "1\n").string("Status") == "ANALYSIS_ERROR")
        #expect(try f.call("load", "d", body: "1,a\n").string("Status") == "TXN_NOT_EXISTS")
        #expect(try f.call("begin", "e").string("Status") == "OK")
        #expect(try f.call("load", "e", body: "9,r\n").string("Status") == "OK")
        #expect(
            try f.call("prepare", "e", ["prepared_timeout": "0"]).string("Message") == "Invalid prepared_timeout: 0")
        // Data-quality failure found at prepare: INTERNAL_ERROR too many filtered rows with ErrorURL.
        #expect(try f.call("begin", "q").string("Status") == "OK")
        #expect(try f.call("load", "q", body: "x,bad\n").string("Status") == "OK")
        let quality = try f.call("prepare", "q")
        #expect(quality.string("Status") == "INTERNAL_ERROR")
        #expect(quality.string("Message")?.hasPrefix("too many filtered rows: 1 of 1 rows filtered") == true)
        #expect(quality.string("ErrorURL") != nil)
        // The same rule at a one-phase commit.
        #expect(try f.call("begin", "q2").string("Status") == "OK")
        #expect(try f.call("load", "q2", body: "y,bad\n").string("Status") == "OK")
        let quality2 = try f.call("commit", "q2")
        #expect(quality2.string("Status") == "INTERNAL_ERROR")
        #expect(quality2.string("Message")?.hasPrefix("too many filtered rows: 1 of 1 rows filtered") == true)
        #expect(quality2.string("ErrorURL") != nil)
        #expect(try f.call("commit", "q2").string("Message")?.hasPrefix("Can not commit ABORTED transaction") == true)
        // Unknown operation; list; label-prefix listing.
        #expect(try f.call("frobnicate", "z").string("Message") == "Unknown transaction operation: frobnicate")
        let list = try Curl.run(["-u", "root:", "-X", "POST", "http://127.0.0.1:\(f.port)/api/transaction/list"])
        #expect(list.body.contains("\"Label\":\"e\""))
        let byPrefix = try Curl.run(["-u", "root:", "http://127.0.0.1:\(f.port)/api/db/_transactions?label_prefix=a"])
        #expect(byPrefix.body == "[{\"Label\":\"a\",\"TxnId\":\(id),\"State\":\"VISIBLE\",\"Attachment\":null}]")
    }

    @Test(.timeLimit(.minutes(2)))
    func timeoutsConcurrencyAndAuthentication() async throws {
        let f = try await Fixture()
        defer {
            f.server.terminate()
            try? FileManager.default.removeItem(atPath: f.directory)
        }
        // T17: credentials are checked like every other endpoint.
        let anonymous = try Curl.run([
            "-X", "POST", "-H", "label: x", "-H", "db: db", "http://127.0.0.1:\(f.port)/api/transaction/begin",
        ])
        #expect(anonymous.status == 401)
        // T10: a PREPARED transaction past prepared_timeout is aborted by the sweeper.
        #expect(try f.call("begin", "late").string("Status") == "OK")
        #expect(try f.call("load", "late", body: "1,a\n").string("Status") == "OK")
        #expect(try f.call("prepare", "late", ["prepared_timeout": "1"]).string("Status") == "OK")
        // Open transactions: the whole-transaction timeout and the idle timeout.
        #expect(try f.call("begin", "slow", ["timeout": "1"]).string("Status") == "OK")
        #expect(try f.call("begin", "idle", ["idle_transaction_timeout": "1"]).string("Status") == "OK")
        var states = [String: String]()
        try Eventually.until(timeout: .seconds(60), poll: .milliseconds(100)) {
            for label in ["late", "slow", "idle"] {
                states[label] = try Curl.run([
                    "-u", "root:", "http://127.0.0.1:\(f.port)/api/db/get_load_state?label=\(label)",
                ]).string("state")
            }
            return states.values.allSatisfy { $0 == "ABORTED" }
        }
        #expect(states == ["late": "ABORTED", "slow": "ABORTED", "idle": "ABORTED"])
        let commitLate = try f.call("commit", "late")
        #expect(commitLate.string("Status") == "FAILED")
        #expect(commitLate.string("Message")?.hasPrefix("Can not commit ABORTED transaction") == true)
        #expect(try f.call("load", "slow", body: "2,b\n").string("Status") == "TXN_NOT_EXISTS")
        // T11: a second request while a load streams gets TXN_IN_PROCESSING.
        #expect(try f.call("begin", "busy").string("Status") == "OK")
        let socket = try RawHTTP(port: f.port)
        try socket.send(
            "PUT /api/transaction/load HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cm9vdDo=\r\nlabel: busy\r\ndb: db\r\ntable: t\r\ncolumn_separator: ,\r\nContent-Length: 8\r\n\r\n1,a\n"
        )
        // Wait until the server has claimed the transaction for that load (the list says
        // InProcessing), then commit: a commit that raced ahead of the load would be legal.
        // (Each check is a request round-trip; no sleep between them, bounded to 5 s.)
        let claimDeadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < claimDeadline {
            let list = try Curl.run(["-u", "root:", "-X", "POST", "http://127.0.0.1:\(f.port)/api/transaction/list"])
            if list.body.contains("\"Label\":\"busy\"") && list.body.contains("\"InProcessing\":true") { break }
        }
        let busy: Curl.Response? = try f.call("commit", "busy")
        #expect(busy?.string("Status") == "TXN_IN_PROCESSING")
        #expect(busy?.string("Label") == "busy")
        try socket.send("2,b\n")
        _ = socket.receive()
        socket.close()
        #expect(try f.call("commit", "busy").int("NumberLoadedRows") == 2)
    }

    @Test(.timeLimit(.minutes(3)))
    func preparedTransactionsSurviveKillNine() async throws {
        var f = try await Fixture()
        defer { try? FileManager.default.removeItem(atPath: f.directory) }
        for label in ["keep", "drop"] {
            #expect(try f.call("begin", label).string("Status") == "OK")
            #expect(
                try f.call("load", label, body: (0..<1000).map { "\($0),\(label)\n" }.joined()).string("Status") == "OK"
            )
            #expect(try f.call("prepare", label).string("Status") == "OK")
        }
        f.server.kill9()
        f = try await Fixture(directory: f.directory)
        #expect(try await f.count() == "0")
        let state = try Curl.run(["-u", "root:", "http://127.0.0.1:\(f.port)/api/db/get_load_state?label=keep"])
        #expect(state.string("state") == "PREPARED")
        #expect(try f.call("commit", "keep").string("Status") == "OK")
        #expect(try f.call("rollback", "drop").string("Status") == "OK")
        #expect(try await f.count() == "1000")
        // An open (never prepared) transaction rolled back before the crash.
        #expect(try f.call("begin", "open").string("Status") == "OK")
        #expect(try f.call("rollback", "open").string("Status") == "OK")
        f.server.kill9()
        f = try await Fixture(directory: f.directory)
        #expect(try await f.count() == "1000")
        // Aborts are journaled: after the restart both labels still read ABORTED.
        for label in ["drop", "open"] {
            let state = try Curl.run(["-u", "root:", "http://127.0.0.1:\(f.port)/api/db/get_load_state?label=\(label)"])
            #expect(state.string("state") == "ABORTED", "\(label)")
            #expect(
                try f.call("commit", label).string("Message")?.hasPrefix("Can not commit ABORTED transaction") == true)
            #expect(
                try f.call("rollback", label).string("Message")?.hasSuffix("has already aborted, label is \(label)")
                    == true)
        }
        #expect(try f.call("begin", "drop").string("Status") == "OK")
        #expect(f.server.terminate().status == 0)
    }

    @Test(.timeLimit(.minutes(3)))
    func sixtyFourConcurrentTransactionsEndWithExactlyTheCommittedRows() async throws {
        let f = try await Fixture()
        defer {
            f.server.terminate()
            try? FileManager.default.removeItem(atPath: f.directory)
        }
        let committed = try await withThrowingTaskGroup(of: Int?.self) { group in
            for n in 0..<64 {
                group.addTask {
                    let label = "c\(n)"
                    guard try f.call("begin", label).string("Status") == "OK" else { return nil }
                    for part in 0..<3 {
                        let body = (0..<50).map { "\(n * 1000 + part * 50 + $0),p\n" }.joined()
                        _ = try f.call("load", label, body: body)
                    }
                    switch n % 4 {
                    case 0: _ = try f.call("rollback", label); return nil
                    case 1: return try f.call("commit", label).string("Status") == "OK" ? n : nil
                    case 2:
                        _ = try f.call("prepare", label)
                        return try f.call("commit", label).string("Status") == "OK" ? n : nil
                    default:
                        _ = try f.call("prepare", label)
                        _ = try f.call("rollback", label)
                        return nil
                    }
                }
            }
            var all = [Int]()
            for try await n in group { if let n { all.append(n) } }
            return all
        }
        #expect(committed.count == 32)
        let sql = SQLClient(host: "127.0.0.1", port: f.port, user: "root", password: "")
        let rows = try await sql.execute("SELECT id DIV 1000, count(*) FROM t GROUP BY 1 ORDER BY 1", database: "db")
            .rows
        #expect(rows == committed.sorted().map { [String($0), "150"] })
    }
}
