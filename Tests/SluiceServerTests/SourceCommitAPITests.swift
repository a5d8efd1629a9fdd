import Foundation
import SluiceServer
import SluiceTesting
import Testing

/// The transaction interface's fenced source commits (remote-sink mode, tier 1) over loopback:
/// `source_batch` on prepare/commit, `SOURCE_RANGE_CONFLICT`/`SOURCE_GAP`, `_source_progress`,
/// `sluice_source_commit_conflicts_total`, and `load.source_commit_api=false`.
@Suite(.serialized) struct SourceCommitAPITests {
    static func batch(_ daemon: String, _ ranges: [(Int, Int, Int)]) -> String {
        let items = ranges.map { "{\"partition\":\($0.0),\"first\":\($0.1),\"last\":\($0.2)}" }
        return "{\"job\":\"sl_job\",\"daemon\":\"\(daemon)\",\"member\":\"m-\(daemon)\",\"generation\":2,"
            + "\"ranges\":[\(items.joined(separator: ","))]}"
    }

    @Test(.timeLimit(.minutes(2)))
    func fencedCommitsProgressAndConflicts() async throws {
        let f = try await TransactionHTTPTests.Fixture()
        defer {
            f.server.terminate()
            try? FileManager.default.removeItem(atPath: f.directory)
        }
        func transaction(_ label: String, rows: String, source: String, twoPhase: Bool = true) throws -> Curl.Response {
            #expect(try f.call("begin", label).string("Status") == "OK")
            #expect(try f.call("load", label, body: rows).string("Status") == "OK")
            if twoPhase {
                let prepared = try f.call("prepare", label, ["source_batch": source])
                guard prepared.string("Status") == "OK" else { return prepared }
                return try f.call("commit", label)
            }
            return try f.call("commit", label, ["source_batch": source])
        }
        // D1 commits partitions 0 and 1 from their first offsets; D1 continues partition 0.
        #expect(
            try transaction("b1", rows: "1,a\n2,b\n", source: Self.batch("d1", [(0, 0, 0), (1, 10, 10)])).string(
                "Status") == "OK")
        #expect(
            try transaction("b2", rows: "3,c\n", source: Self.batch("d1", [(0, 1, 1)]), twoPhase: false).string(
                "Status") == "OK")
        // A zombie's batch over committed offsets, and one that skips offsets: refused, aborted.
        let overlap = try transaction("z1", rows: "9,z\n", source: Self.batch("d2", [(0, 1, 4)]))
        #expect(overlap.string("Status") == "SOURCE_RANGE_CONFLICT", "\(overlap.body)")
        #expect(
            overlap.string("Message")?.contains("stored next offset 2, committed 0-1, last by d1") == true,
            "\(overlap.body)")
        let gap = try transaction("z2", rows: "9,z\n", source: Self.batch("d2", [(1, 12, 13)]), twoPhase: false)
        #expect(gap.string("Status") == "SOURCE_GAP", "\(gap.body)")
        #expect(try await f.count() == "3")
        // Both refused transactions are gone: their labels are free, nothing lingers.
        let lingering = try Curl.run(["-u", "root:", "http://127.0.0.1:\(f.port)/api/db/_transactions?label_prefix=z"])
        #expect(lingering.body == "[]", "\(lingering.body)")
        // A PREPARED batch overtaken by another daemon's commit is refused at commit.
        #expect(try f.call("begin", "z3").string("Status") == "OK")
        #expect(try f.call("load", "z3", body: "7,q\n").string("Status") == "OK")
        #expect(try f.call("prepare", "z3", ["source_batch": Self.batch("d1", [(0, 2, 3)])]).string("Status") == "OK")
        #expect(try transaction("b3", rows: "4,d\n", source: Self.batch("d3", [(0, 2, 2)])).string("Status") == "OK")
        let overtaken = try f.call("commit", "z3")
        #expect(overtaken.string("Status") == "SOURCE_RANGE_CONFLICT", "\(overtaken.body)")
        #expect(try await f.count() == "4")
        // Progress: next offset, committed ranges and the last committer per partition.
        let progress = try Curl.run(["-u", "root:", "http://127.0.0.1:\(f.port)/api/db/_source_progress?job=sl_job"])
        #expect(
            progress.body
                == "{\"Job\":\"sl_job\",\"Partitions\":[{\"Partition\":0,\"NextOffset\":3,\"Committed\":[[0,2]],"
                + "\"Owner\":\"d3\",\"Member\":\"m-d3\",\"Generation\":2},{\"Partition\":1,\"NextOffset\":11,"
                + "\"Committed\":[[10,10]],\"Owner\":\"d1\",\"Member\":\"m-d1\",\"Generation\":2}]}", "\(progress.body)"
        )
        let unknown = try Curl.run(["-u", "root:", "http://127.0.0.1:\(f.port)/api/db/_source_progress?job=other"])
        #expect(unknown.body == "{\"Job\":\"other\",\"Partitions\":[]}")
        // Bad headers name the problem.
        #expect(try f.call("begin", "bad").string("Status") == "OK")
        #expect(try f.call("load", "bad", body: "8,x\n").string("Status") == "OK")
        let bad = try f.call("prepare", "bad", ["source_batch": "{\"job\":\"sl_job\",\"daemon\":\"d1\",\"ranges\":[]}"])
        #expect(
            bad.string("Status") == "INVALID_ARGUMENT" && bad.string("Message")?.contains("1 to") == true, "\(bad.body)"
        )
        let metrics = try Curl.run(["http://127.0.0.1:\(f.port)/metrics"])
        #expect(metrics.body.contains("sluice_source_commit_conflicts_total 3"), "\(metrics.body)")
    }

    /// `load.source_commit_api=false`: the node refuses the extension as a StarRocks cluster lacks it.
    @Test(.timeLimit(.minutes(2)))
    func theExtensionCanBeSwitchedOff() async throws {
        let directory = makeTemporaryDirectory()
        let server = try ServerProcess(
            dataDirectory: directory, environment: ["SLUICE_LOAD_SOURCE_COMMIT_API": "false"])
        defer {
            server.terminate()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        _ = try await sql.execute("CREATE DATABASE db", database: nil)
        _ = try await sql.execute(
            "CREATE TABLE t (id INT NOT NULL, s VARCHAR(10)) DISTRIBUTED BY HASH(id) BUCKETS 2", database: "db")
        let headers = ["db": "db", "table": "t", "label": "x", "column_separator": ","]
        #expect(try Curl.transaction(port: server.port, action: "begin", headers: headers).string("Status") == "OK")
        #expect(
            try Curl.transaction(port: server.port, action: "load", headers: headers, body: "1,a\n").string("Status")
                == "OK")
        var withBatch = headers
        withBatch["source_batch"] = Self.batch("d1", [(0, 0, 0)])
        let refused = try Curl.transaction(port: server.port, action: "prepare", headers: withBatch)
        #expect(refused.string("Status") == "INVALID_ARGUMENT", "\(refused.body)")
        #expect(refused.string("Message")?.contains("load.source_commit_api=false") == true)
        let progress = try Curl.run(["-u", "root:", "http://127.0.0.1:\(server.port)/api/db/_source_progress?job=j"])
        #expect(progress.status == 404, "\(progress.status) \(progress.body)")
        // The standard interface still works.
        #expect(try Curl.transaction(port: server.port, action: "commit", headers: headers).string("Status") == "OK")
    }
}
