import Foundation
import SluiceServer
import SluiceTesting
import Testing

/// The real `sluice serve` binary over loopback.
@Suite(.serialized) struct SQLOverHTTPTests {
    @Test(.timeLimit(.minutes(10)))
    func millionRowsAggregateCorrectly() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory)
        let client = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        func run(_ sql: String, db: String? = "bench") async throws -> SQLClient.Response {
            let response = try await client.execute(sql, database: db)
            #expect(response.error == nil, "\(sql): \(response.error ?? "")")
            return response
        }
        _ = try await run("CREATE DATABASE bench", db: nil)
        _ = try await run(
            """
            CREATE TABLE facts (id BIGINT NOT NULL, k INT, day DATE, amount DECIMAL(12, 2))
            DUPLICATE KEY(id)
            PARTITION BY RANGE(day) (
                PARTITION p1 VALUES LESS THAN ("2024-01-11"),
                PARTITION p2 VALUES LESS THAN ("2024-01-21"),
                PARTITION p3 VALUES LESS THAN (MAXVALUE))
            DISTRIBUTED BY HASH(id) BUCKETS 4
            """)
        let n = 1_000_000
        let insert = try await run(
            """
            INSERT INTO facts SELECT generate_series, generate_series % 7,
                CAST('2024-01-01' AS DATE) + 0, generate_series % 1000 + 0.5
            FROM TABLE(generate_series(1, \(n)))
            """)
        #expect(insert.statistics["affectedRows"] == n)
        #expect(
            try await run("SELECT count(*), sum(id), min(id), max(id) FROM facts").rows == [
                ["\(n)", "\(n * (n + 1) / 2)", "1", "\(n)"]
            ])
        var counts = [Int: Int]()
        var sums = [Int: Int]()
        for i in 1...n {
            counts[i % 7, default: 0] += 1
            sums[i % 7, default: 0] += (i % 1000) * 100 + 50
        }
        let grouped = try await run("SELECT k, count(*), sum(amount) FROM facts GROUP BY k ORDER BY k")
        #expect(grouped.rows.count == 7)
        for row in grouped.rows {
            let k = Int(row[0]!)!
            #expect(row[1] == String(counts[k]!))
            let cents = sums[k]!
            #expect(row[2] == "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)")
        }
        let filtered = try await run("SELECT count(*) FROM facts WHERE id BETWEEN 500000 AND 509999 AND k = 3")
        #expect(filtered.rows == [[String((500_000...509_999).filter { $0 % 7 == 3 }.count)]])
        #expect((filtered.statistics["scanRows"] ?? .max) < n / 10)
        let top = try await run("SELECT id, amount FROM facts ORDER BY amount DESC, id LIMIT 3")
        #expect(top.rows == [["999", "999.50"], ["1999", "999.50"], ["2999", "999.50"]])
        #expect(server.terminate().status == 0)
    }

    @Test(.timeLimit(.minutes(2)))
    func errorsAndAuthenticationKeepTheServerUp() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory)
        let wrong = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "nope")
        let denied = try await wrong.execute("SELECT 1", database: nil)
        #expect(denied.status == 401)
        #expect(denied.error?.contains("Access denied") == true)
        let client = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        let syntax = try await client.execute("SELEC 1", database: nil)
        #expect(syntax.status == 400)
        #expect(syntax.error?.contains("position 0") == true)
        let missing = try await client.execute("SELECT * FROM nowhere.t", database: nil)
        #expect(missing.status == 404)
        #expect(missing.error?.contains("nowhere") == true)
        #expect(try await client.execute("SELECT 1 + 1", database: nil).rows == [["2"]])
        let stopped = server.terminate()
        #expect(stopped.status == 0)
        #expect(stopped.seconds < 10)
    }

    @Test(.timeLimit(.minutes(3)))
    func manySmallInsertsAreCompacted() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory)
        let client = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        _ = try await client.execute("CREATE DATABASE d", database: nil)
        _ = try await client.execute(
            "CREATE TABLE t (id INT, v VARCHAR(8)) DISTRIBUTED BY HASH(id) BUCKETS 1", database: "d")
        for i in 0..<1000 {
            let r = try await client.execute("INSERT INTO t VALUES (\(i), 'v\(i % 10)')", database: "d")
            #expect(r.error == nil)
        }
        var rowsets = Int.max
        try await Eventually.until(poll: .milliseconds(200)) {
            let tablets = try await client.execute("SHOW TABLET FROM d.t", database: nil)
            rowsets = tablets.rows.map { Int($0[4]!)! }.max() ?? 0
            return rowsets <= 10
        }
        #expect(rowsets <= 10)
        #expect(
            try await client.execute("SELECT count(*), sum(id), count(DISTINCT v) FROM t", database: "d").rows == [
                ["1000", "499500", "10"]
            ])
        server.terminate()
    }
}
