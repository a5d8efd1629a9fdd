import Foundation
import SluiceRoutineLoad
import SluiceServer
import SluiceSink
import SluiceStorage
import SluiceTesting
import Testing

/// Issue 17's layout on this machine (``ScaleOutCluster``): the mock cluster as its own process,
/// one Sluice sink, daemons started as `sluice serve --config daemon.json` with a `sink` and
/// `routine_load.jobs`.
@Suite(.serialized) struct ScaleOutTests {
    /// Scenarios 1, 3 and 14 of the design note: three daemons share six partitions and load
    /// every message once within the commit budget; one leaves gracefully (SIGTERM) and its
    /// partitions move without loss or duplicates; nothing lingers.
    @Test(.timeLimit(.minutes(4)), arguments: ScaleOutCluster.tiers)
    func threeDaemonsShareTheGroupAndHandOverOnLeave(api: String) async throws {
        let cluster = try await ScaleOutCluster(api: api)
        defer { cluster.stop() }
        try await cluster.produce(6000)
        let names = ["d1", "d2", "d3"]
        for name in names { try cluster.startDaemon(name, intervalPerMember: 200) }
        let loaded = try await Eventually.until(timeout: .seconds(90), poll: .milliseconds(250)) {
            try await cluster.counts() == ["6000", "6000"]
        }
        let first = try await cluster.counts()
        #expect(loaded, "\(first)")
        let spread = try Eventually.until(timeout: .seconds(30), poll: .milliseconds(250)) {
            try names.map(cluster.owned) == [2, 2, 2]
        }
        let shares = try names.map(cluster.owned)
        #expect(spread, "\(shares)")
        // The commit budget: three members × 200 ms per member beats the 300 ms interval.
        func intervals() throws -> [Double?] {
            try names.map { try cluster.daemonMetric($0, "sluice_routine_load_batch_interval_seconds") }
        }
        let budget = try Eventually.until(timeout: .seconds(30), poll: .milliseconds(250)) {
            try intervals() == [0.6, 0.6, 0.6]
        }
        let reported = try intervals()
        #expect(budget, "\(reported)")
        // SHOW ROUTINE LOAD on a daemon: its job, the partitions it owns now, the sink.
        let d1 = try #require(cluster.daemons["d1"])
        let show = try await SQLClient(host: "127.0.0.1", port: d1.port, user: "root", password: "")
            .execute("SHOW ROUTINE LOAD FOR db.sl_job", database: nil)
        let row = try #require(show.rows.first)
        let columns = show.columns
        #expect(row[columns.firstIndex(of: "State")!] == "RUNNING")
        #expect(row[columns.firstIndex(of: "OtherMsg")!]?.contains("daemon d1 owns partitions [") == true)
        // d2 leaves gracefully: its batch in flight commits, its partitions move.
        let (status, _) = try #require(cluster.daemons["d2"]).terminate()
        #expect(status == 0)
        try await cluster.produce(1200)
        let handedOver = try await Eventually.until(timeout: .seconds(90), poll: .milliseconds(250)) {
            try await cluster.counts() == ["7200", "7200"]
        }
        let second = try await cluster.counts()
        #expect(handedOver, "\(second)")
        let moved = try Eventually.until(timeout: .seconds(30), poll: .milliseconds(250)) {
            try ["d1", "d3"].map(cluster.owned) == [3, 3]
        }
        #expect(moved)
        // One committed interval per partition; no lingering transactions; no fencing needed.
        let progress = try await cluster.progress()
        #expect(progress.partitions.count == 6)
        #expect(progress.partitions.values.allSatisfy { $0.committed == [OffsetRange(0, 1199)] }, "\(progress)")
        let lingering = try cluster.client().transactions(database: "db", labelPrefix: "sl_job-")
        #expect(lingering.allSatisfy { $0.state == .visible }, "\(lingering)")
        let metrics = try Curl.run(["http://127.0.0.1:\(cluster.sinkPort)/metrics"]).body
        #expect(metrics.contains("sluice_source_commit_conflicts_total 0"))
        try await cluster.checkInvariants()
    }
}
