import Dispatch
import SluiceFormat
import SluiceSQL
import Testing

/// Regressions for the hostile-input probe (issue 11) at the SQL layer: runaway queries stop at
/// `query_timeout`, `query_mem_limit` or cancellation; LIMIT/OFFSET and DECIMAL edges never trap.
@Suite struct HostileSQLTests {
    static func error(_ harness: SQLHarness, _ sql: String, _ configure: (inout Session) -> Void = { _ in })
        -> SQLError?
    {
        var session = harness.session
        configure(&session)
        do {
            _ = try harness.executor.execute(sql, session: session)
            return nil
        } catch {
            return error
        }
    }

    @Test func limitAndOffsetAtTheEndsOfBigint() throws {
        let h = try SQLHarness()
        #expect(
            try h.run("SELECT * FROM TABLE(generate_series(1, 10)) t LIMIT 9223372036854775807 OFFSET 5").count == 5)
        #expect(try h.run("SELECT * FROM TABLE(generate_series(1, 10)) t LIMIT 5, 9223372036854775807").count == 5)
        #expect(try h.run("SELECT * FROM TABLE(generate_series(1, 10)) t LIMIT 2 OFFSET 9223372036854775807").isEmpty)
        #expect(
            try h.run("SELECT * FROM TABLE(generate_series(9223372036854775806, 9223372036854775807)) t").count == 2)
    }

    /// D7: an endless count stops at query_timeout; an endless result stops at query_mem_limit;
    /// a cancelled statement stops at its next batch.
    @Test func runawayQueriesStop() throws {
        let h = try SQLHarness()
        let endless = "SELECT count(*) FROM TABLE(generate_series(1, 9223372036854775807)) t"
        let timeout = Self.error(h, endless) { $0.queryTimeoutSeconds = 1 }
        #expect(timeout?.code == .timeout)
        #expect(timeout?.message.contains("query_timeout") == true)
        let huge = "SELECT * FROM TABLE(generate_series(1, 9223372036854775807)) t"
        let memory = Self.error(h, huge) { $0.queryMemoryLimit = 64 << 20 }
        #expect(memory?.code == .memoryLimit)
        let groups = "SELECT generate_series, count(*) FROM TABLE(generate_series(1, 9223372036854775807)) t GROUP BY 1"
        #expect(Self.error(h, groups) { $0.queryMemoryLimit = 64 << 20 }?.code == .memoryLimit)
        let cancellation = QueryCancellation()
        cancellation.cancel()
        #expect(Self.error(h, endless) { $0.cancellation = cancellation }?.code == .cancelled)
        // The engine still answers.
        #expect(try h.run("SELECT count(*) FROM TABLE(generate_series(1, 1000)) t") == [["1000"]])
    }

    /// D2 through INSERT: a 39-digit value is a clear error, the table keeps its rows.
    @Test func overlongDecimalsInInsert() throws {
        let h = try SQLHarness()
        try h.run("CREATE TABLE dec (a BIGINT, d DECIMAL(38,2)) DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1")
        try h.run("INSERT INTO dec VALUES (1, 1.5)")
        #expect(Self.error(h, "INSERT INTO dec VALUES (2, 999999999999999999999999999999999999999)") != nil)
        #expect(Self.error(h, "INSERT INTO dec VALUES (2, '999999999999999999999999999999999999999')") != nil)
        #expect(try h.run("SELECT count(*), sum(d) FROM dec") == [["1", "1.50"]])
    }

    /// D1 through SQL: the statement fails with the depth message and the next one works.
    @Test func deepStatementsFailClearly() throws {
        let h = try SQLHarness()
        let chain = "SELECT " + Array(repeating: "1", count: 10_000).joined(separator: "+")
        #expect(Self.error(h, chain)?.message.contains("maximum depth of an expression tree") == true)
        let parens = "SELECT " + String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000)
        #expect(Self.error(h, parens) != nil)
        #expect(try h.run("SELECT 1 + 1") == [["2"]])
    }

    /// Chains up to the depth limit evaluate, on the small stacks of Dispatch worker threads
    /// (where SQL runs), through the parser, binder, evaluator and the statement's other walks.
    @Test func longChainsWithinTheLimitEvaluate() async throws {
        let h = try SQLHarness()
        try h.run("CREATE TABLE c (id BIGINT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1")
        try h.run("INSERT INTO c VALUES (1), (2), (3)")
        let statements = [
            ("SELECT " + Array(repeating: "1", count: 2_999).joined(separator: " + "), [["2999"]]),
            (
                "SELECT count(*) FROM c WHERE " + Array(repeating: "id > 0", count: 2_999).joined(separator: " AND "),
                [["3"]]
            ),
            ("SELECT count(*) FROM c WHERE " + (0..<2_999).map { "id = \($0 + 2)" }.joined(separator: " OR "), [["2"]]),
            ("SELECT sum(" + Array(repeating: "id", count: 2_999).joined(separator: " + ") + ") FROM c", [["17994"]]),
        ]
        for (sql, expected) in statements {
            let rows: Result<[[String?]], any Error> = await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: Result { try h.run(sql) }) }
            }
            #expect(try rows.get() == expected, "\(sql.prefix(60))…")
        }
    }
}
