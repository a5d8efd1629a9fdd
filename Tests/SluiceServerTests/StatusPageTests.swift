import Foundation
import SluiceIO
import SluiceTesting
import Testing

/// Issue 15: the status page at `GET /` rendered by a real headless browser (Debian's
/// `chromium`): it draws the jobs, one lag line per partition, recent loads and tables, with no
/// console errors; a screenshot is kept in `.build/test-artifacts/status-page.png`.
@Suite(.serialized) struct StatusPageTests {
    static func chromium(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        let profile = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: profile) }
        return try await MySQLClientsTests.run(
            [
                "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--user-data-dir=\(profile)", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
            ] + arguments)
    }

    @Test(.timeLimit(.minutes(3)))
    func thePageRendersJobsChartsLoadsAndTables() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["events": 3])
        defer { broker.stop() }
        let (directory, server, sql) = try await startServer(
            tables: [RoutineLoadKafkaTests.table], environment: RoutineLoadKafkaTests.fastBatches)
        defer { _ = server.terminate(); try? FileManager.default.removeItem(atPath: directory) }
        try await RoutineLoadKafkaTests.produce(broker.bootstrapServers, topic: "events", partitions: 3, ids: 1...600)
        try await RoutineLoadKafkaTests.createJob(sql, broker.bootstrapServers)
        try await RoutineLoadKafkaTests.expectExactly(1...600, sql)

        let status = try Curl.run(["-s", "http://127.0.0.1:\(server.port)/api/status"])
        let object = try JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any]
        let jobs = object?["jobs"] as? [[String: Any]]
        #expect(jobs?.first?["name"] as? String == "db.job1")
        #expect(jobs?.first?["loadedRows"] as? Int == 600)
        #expect((jobs?.first?["lag"] as? [Any])?.count == 3)
        #expect((object?["tables"] as? [[String: Any]])?.first?["rows"] as? Int == 600)

        let url = "http://127.0.0.1:\(server.port)/"
        let dom = try await Self.chromium(["--dump-dom", url])
        #expect(dom.status == 0, "\(dom.err)")
        #expect(dom.out.contains(#"data-rendered="true""#), "\(dom.out)")
        #expect(dom.out.components(separatedBy: "<polyline").count - 1 == 3, "one lag line per partition")
        #expect(dom.out.contains("db.job1") && dom.out.contains("RUNNING") && dom.out.contains("db.t"))
        #expect(!dom.err.contains("Uncaught") && !dom.err.contains(":CONSOLE("), "\(dom.err)")

        let artifacts = ExamplesTests.root.appendingPathComponent(".build/test-artifacts").path
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let screenshot = artifacts + "/status-page.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        let shot = try await Self.chromium(["--window-size=1280,1000", "--screenshot=\(screenshot)", url])
        #expect(shot.status == 0, "\(shot.err)")
        let size = (try? FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0
        #expect(size > 10_000, "screenshot of \(size) bytes")
    }
}
