import Foundation
import SluiceServer
import SluiceTesting
import Testing

/// `/livez`, `/readyz` and `/metrics` of a running server: load totals by Stream Load status and
/// row result, transactions, and a Routine Load job's state, rows and lag, in Prometheus' text
/// format.
@Suite(.serialized) struct HealthRoutesTests {
    static func get(_ port: Int, _ path: String) throws -> (code: Int, body: String) {
        let r = try Curl.run(["http://127.0.0.1:\(port)\(path)"])
        return (r.status, r.body.trimmingCharacters(in: .newlines))
    }

    /// The value of the series whose line starts with `series` (name and labels), or nil.
    static func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
            Double($0.split(separator: " ").last ?? "")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func probesAndMetricsFollowLoadsAndJobs() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["events": 2])
        defer { broker.stop() }
        let (directory, server, sql) = try await startServer(
            tables: [RoutineLoadKafkaTests.table], environment: RoutineLoadKafkaTests.fastBatches)
        defer { _ = server.terminate(); try? FileManager.default.removeItem(atPath: directory) }
        #expect(try Self.get(server.port, "/livez") == (200, "ok"))
        #expect(try Self.get(server.port, "/readyz") == (200, "ready"))

        let ok = try Curl.streamLoad(
            port: server.port, database: "db", table: "t", body: "1,a,1.5\n2,b,2.5\n3,c,x\n",
            headers: ["label": "m1", "column_separator": ",", "max_filter_ratio": "0.5", "strict_mode": "true"])
        #expect(ok.string("Status") == "Success")
        let again = try Curl.streamLoad(
            port: server.port, database: "db", table: "t", body: "1,a,1\n",
            headers: ["label": "m1", "column_separator": ","])
        #expect(again.string("Status") == "Label Already Exists")
        try await RoutineLoadKafkaTests.produce(broker.bootstrapServers, topic: "events", partitions: 2, ids: 100...599)
        try await RoutineLoadKafkaTests.createJob(sql, broker.bootstrapServers)
        try await RoutineLoadKafkaTests.waitFor("500 rows from Kafka") {
            try await sql.execute("SELECT count(*) FROM t", database: "db").rows == [["502"]]
        }
        var metrics = ""
        try await RoutineLoadKafkaTests.waitFor("job counters in /metrics") {
            metrics = try Self.get(server.port, "/metrics").body
            return Self.value(metrics, #"sluice_routine_load_rows_total{job="db.job1",result="loaded"}"#) == 500
        }
        #expect(Self.value(metrics, #"sluice_build_info{version="\#(SluiceVersion.current)"}"#) == 1)
        #expect(Self.value(metrics, #"sluice_stream_load_requests_total{status="Success"}"#) == 1)
        #expect(Self.value(metrics, #"sluice_stream_load_requests_total{status="Label Already Exists"}"#) == 1)
        #expect(Self.value(metrics, #"sluice_load_rows_total{result="filtered"}"#) == 1)
        #expect((Self.value(metrics, #"sluice_load_rows_total{result="loaded"}"#) ?? 0) >= 502)
        #expect(Self.value(metrics, #"sluice_routine_load_jobs{state="RUNNING"}"#) == 1)
        #expect(Self.value(metrics, #"sluice_routine_load_lag{job="db.job1"}"#) == 0)
        #expect(Self.value(metrics, #"sluice_transactions{state="prepared"}"#) == 0)
        #expect(metrics.contains("# TYPE sluice_routine_load_tasks_total counter"))

        _ = try await sql.execute("STOP ROUTINE LOAD FOR job1", database: "db")
        metrics = try Self.get(server.port, "/metrics").body
        #expect(!metrics.contains(#"job="db.job1""#), "a stopped job's series are gone")
        #expect(Self.value(metrics, #"sluice_routine_load_jobs{state="RUNNING"}"#) == 0)
        #expect(server.terminate().status == 0)
    }
}
