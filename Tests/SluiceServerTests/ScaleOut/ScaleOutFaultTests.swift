import Foundation
import SluiceRoutineLoad
import SluiceTesting
import Testing

/// The design note's fault scenarios (§6) on the real layout, each ending with invariants I1–I6
/// (and I7 — at least one fencing rejection — where a zombie is involved).
@Suite(.serialized) struct ScaleOutFaultTests {
    /// Scenarios 4, 5 and 11: daemons killed right after `begin`, after `prepare`, and after
    /// sending `commit`; restarted, they and the survivors load everything once, the open
    /// transaction expires, the PREPARED one is adopted or rolled back, nothing lingers.
    @Test(.timeLimit(.minutes(5)), arguments: ScaleOutCluster.tiers)
    func crashesAtEachStepLoseAndDuplicateNothing(api: String) async throws {
        let cluster = try await ScaleOutCluster(api: api)
        defer { cluster.stop() }
        try await cluster.produce(3000)
        try cluster.startDaemon("d1", faults: "remote_load.after_begin=crash@2")
        try cluster.startDaemon("d2", faults: "remote_load.after_prepare=crash@2")
        try cluster.startDaemon("d3", faults: "remote_load.after_commit=crash@2")
        // Each crashes at its second batch (more messages keep batches coming).
        for (name, point) in [
            ("d1", "remote_load.after_begin"), ("d2", "remote_load.after_prepare"), ("d3", "remote_load.after_commit"),
        ] {
            let daemon = try #require(cluster.daemons[name])
            let crashed = try await cluster.waitForFault(daemon, point, "crashing")
            #expect(crashed, "\(name) did not reach its fault point")
        }
        for name in ["d1", "d2", "d3"] { try cluster.startDaemon(name) }
        try await cluster.produce(600)
        #expect(try await cluster.waitLoaded())
        #expect(try await cluster.waitNoLingering())
        try await cluster.checkInvariants()
    }

    /// Scenario 6, the zombie loses: d1 stops itself with a loaded, unprepared batch; past the
    /// session timeout its partitions move and the others load them; woken, d1's prepare is
    /// refused by the fence (I7) and it carries on without loading anything twice. When the new
    /// owner's first batch happens to cover exactly d1's offsets, both share one label and d1's
    /// transaction is simply replaced — exactly once, but no rejection to observe: that run is
    /// inconclusive and the scenario runs again (at most three times).
    @Test(.timeLimit(.minutes(8)), arguments: ScaleOutCluster.tiers)
    func aWokenZombieIsFencedOut(api: String) async throws {
        var fenced = false
        for _ in 1...3 where !fenced {
            fenced = try await zombieLoses(api: api)
        }
        #expect(fenced, "I7: the zombie's batch was not refused in three runs (inconclusive)")
    }

    /// One run of scenario 6 ending with I1–I6; whether the zombie was fenced.
    private func zombieLoses(api: String) async throws -> Bool {
        let cluster = try await ScaleOutCluster(api: api)
        defer { cluster.stop() }
        try await cluster.produce(1200)
        // Its transaction outlives the stop, so the wake-up meets the fence, not a timeout; its
        // batches gather several polls, so the new owner's batch over the same offsets usually
        // ends elsewhere and carries another label.
        let zombie = try cluster.startDaemon(
            "d1", faults: "remote_load.after_load=stop@3", transactionTimeout: 300, batchInterval: 2000)
        try cluster.startDaemon("d2")
        try cluster.startDaemon("d3")
        let stopped = try await cluster.waitForFault(zombie, "remote_load.after_load", "stopping")
        #expect(stopped)
        // More messages before the others take over: their first batch on d1's partitions then
        // covers more than d1's.
        try await cluster.produce(600)
        // The others take d1's partitions (its session expires) and load what it held.
        let movedOn = try Eventually.until(timeout: .seconds(60), poll: .milliseconds(300)) {
            (try cluster.owned("d2") ?? 0) + (try cluster.owned("d3") ?? 0) == cluster.partitions
        }
        #expect(movedOn)
        try await cluster.produce(600)
        #expect(try await cluster.waitLoaded())
        zombie.send(SIGCONT)
        let fenced = try Eventually.until(timeout: .seconds(30), poll: .milliseconds(300)) {
            try cluster.fencingRejections() >= 1
        }
        if !fenced { print("zombie run inconclusive (\(api)): \(zombie.output.suffix(1500))") }
        try await cluster.produce(600)
        #expect(try await cluster.waitLoaded())
        #expect(try await cluster.waitNoLingering())
        try await cluster.checkInvariants()
        return fenced
    }

    /// Scenario 8: the coordinator fails heartbeats with ILLEGAL_GENERATION; every member loses
    /// its assignment, drops its batch without committing, rejoins and continues.
    @Test(.timeLimit(.minutes(5)), arguments: ScaleOutCluster.tiers)
    func lostAssignmentsDropTheirBatches(api: String) async throws {
        let cluster = try await ScaleOutCluster(api: api)
        defer { cluster.stop() }
        try await cluster.produce(1200)
        for name in ["d1", "d2", "d3"] { try cluster.startDaemon(name) }
        #expect(try await cluster.waitLoaded())
        cluster.broker.failHeartbeats(count: 15)
        let lost = try await Eventually.until(timeout: .seconds(60), poll: .milliseconds(300)) {
            try await cluster.produce(60)
            return try ["d1", "d2", "d3"].contains {
                (try cluster.daemonMetric($0, "sluice_routine_load_rebalances_total", labels: ",kind=\"lost\"") ?? 0)
                    >= 1
            }
        }
        #expect(lost, "no daemon saw its assignment lost")
        try await cluster.produce(600)
        #expect(try await cluster.waitLoaded())
        #expect(try await cluster.waitNoLingering())
        try await cluster.checkInvariants()
    }

    /// Scenario 10: the sink is killed (SIGKILL) under load and restarted; daemons retry with
    /// the same labels; PREPARED batches survive and are committed or adopted.
    @Test(.timeLimit(.minutes(5)), arguments: ScaleOutCluster.tiers)
    func aSinkCrashUnderLoadLosesAndDuplicatesNothing(api: String) async throws {
        let cluster = try await ScaleOutCluster(api: api)
        defer { cluster.stop() }
        try await cluster.produce(1200)
        for name in ["d1", "d2", "d3"] { try cluster.startDaemon(name) }
        let started = await Eventually.until(timeout: .seconds(60), poll: .milliseconds(200)) {
            Int((try? await cluster.counts().first ?? nil) ?? "0") ?? 0 > 0
        }
        #expect(started)
        try await cluster.produce(1200)
        try await cluster.restartSink {
            // The outage itself: producers keep going while the sink is down.
            try await cluster.produce(600)
        }
        try await cluster.produce(600)
        #expect(try await cluster.waitLoaded())
        #expect(try await cluster.waitNoLingering())
        try await cluster.checkInvariants()
    }

    /// Scenario 2: a fourth daemon joins during production; cooperative-sticky moves only the
    /// partitions it takes (at least one member sees no revoke at all), everything loads once.
    @Test(.timeLimit(.minutes(5)), arguments: ScaleOutCluster.tiers)
    func aJoiningMemberTakesPartitionsWithoutStoppingTheOthers(api: String) async throws {
        let cluster = try await ScaleOutCluster(api: api)
        defer { cluster.stop() }
        try await cluster.produce(1200)
        for name in ["d1", "d2", "d3"] { try cluster.startDaemon(name) }
        #expect(try await cluster.waitLoaded())
        try cluster.startDaemon("d4")
        let joined = try await Eventually.until(timeout: .seconds(60), poll: .milliseconds(300)) {
            try await cluster.produce(60)
            let shares = try ["d1", "d2", "d3", "d4"].map { try cluster.owned($0) ?? 0 }
            return shares[3] >= 1 && shares.reduce(0, +) == cluster.partitions
        }
        #expect(joined)
        let revokes = try ["d1", "d2", "d3"].map {
            try cluster.daemonMetric($0, "sluice_routine_load_rebalances_total", labels: ",kind=\"revoked\"") ?? 0
        }
        #expect(revokes.contains(0), "every member revoked: an eager rebalance? \(revokes)")
        try await cluster.produce(600)
        #expect(try await cluster.waitLoaded())
        try await cluster.checkInvariants()
    }

    /// Scenario 13: two of eight partitions are empty at first and produced to later; their first
    /// commits start at the earliest offset (no stored position) and everything loads once.
    @Test(.timeLimit(.minutes(5)), arguments: ScaleOutCluster.tiers)
    func partitionsThatStartEmptyLoadFromTheirFirstOffset(api: String) async throws {
        let cluster = try await ScaleOutCluster(partitions: 8, api: api)
        defer { cluster.stop() }
        try await cluster.produce(1200, into: [0, 1, 2, 3, 4, 5])
        for name in ["d1", "d2", "d3"] { try cluster.startDaemon(name) }
        #expect(try await cluster.waitLoaded())
        #expect(try await cluster.progress().partitions[6] == nil)
        try await cluster.produce(400, into: [6, 7])
        try await cluster.produce(600)
        #expect(try await cluster.waitLoaded())
        try await cluster.checkInvariants()
    }

    /// Scenario 7, the zombie wins: d1 stops itself with a loaded batch; d2 takes over and stops
    /// itself right after preparing its own batch over the same offsets; d1 wakes first and
    /// commits (its batch is the true next one), so d2's commit is refused by the fence (I7) and
    /// d2 carries on from the new progress. When d2's batch happens to cover exactly d1's offsets
    /// they share one label (tier 1) — exactly once, no rejection to observe: that run is
    /// inconclusive and the scenario runs again (at most three times), each run ending with I1–I6.
    @Test(.timeLimit(.minutes(10)), arguments: ScaleOutCluster.tiers)
    func aZombieThatWinsFencesTheNewOwner(api: String) async throws {
        var fenced = false
        for _ in 1...3 where !fenced {
            fenced = try await zombieWins(api: api)
        }
        #expect(fenced, "I7: the new owner's commit was not refused in three runs (inconclusive)")
    }

    /// One run of scenario 7 ending with I1–I6; whether the new owner was fenced.
    private func zombieWins(api: String) async throws -> Bool {
        let cluster = try await ScaleOutCluster(api: api)
        defer { cluster.stop() }
        try await cluster.produce(1200)
        let zombie = try cluster.startDaemon(
            "d1", faults: "remote_load.after_load=stop@3", transactionTimeout: 300, batchInterval: 2000)
        let stopped = try await cluster.waitForFault(zombie, "remote_load.after_load", "stopping")
        #expect(stopped)
        try await cluster.produce(600)
        let owner = try cluster.startDaemon("d2", faults: "remote_load.after_prepare=stop@1")
        let prepared = Eventually.until(timeout: .seconds(90), poll: .milliseconds(200)) {
            owner.output.contains("fault point remote_load.after_prepare: stopping")
        }
        #expect(prepared)
        let before = try await cluster.progress()
        zombie.send(SIGCONT)
        let zombieCommitted = await Eventually.until(timeout: .seconds(60), poll: .milliseconds(200)) {
            (try? await cluster.progress()).map { $0 != before } ?? false
        }
        // A zombie slowed past the wait (a loaded machine) makes the run inconclusive, not wrong:
        // the invariants below still hold, and the scenario runs again.
        if !zombieCommitted {
            print("zombie-wins run inconclusive (\(api)): the zombie's batch did not commit in 60 s")
        }
        owner.send(SIGCONT)
        let fenced =
            try zombieCommitted
            && Eventually.until(timeout: .seconds(60), poll: .milliseconds(300)) {
                try cluster.fencingRejections() >= 1
            }
        if !fenced { print("zombie-wins run inconclusive (\(api)): \(owner.output.suffix(1500))") }
        try await cluster.produce(600)
        #expect(try await cluster.waitLoaded())
        #expect(try await cluster.waitNoLingering())
        try await cluster.checkInvariants()
        return fenced
    }

    /// Scenario 9: the group's coordinator (and the leader of some partitions) is down for a
    /// while; members lose their assignment or stall, then recover and catch up.
    @Test(.timeLimit(.minutes(5)), arguments: ScaleOutCluster.tiers)
    func aCoordinatorOutageIsRiddenOut(api: String) async throws {
        let cluster = try await ScaleOutCluster(api: api)
        defer { cluster.stop() }
        cluster.broker.setCoordinator(group: "sluice.db.sl_job", broker: 1)
        try await cluster.produce(1200)
        for name in ["d1", "d2", "d3"] { try cluster.startDaemon(name) }
        #expect(try await cluster.waitLoaded())
        try await cluster.produce(600)
        cluster.broker.setBroker(1, up: false)
        // The outage lasts until a member feels it: its assignment lost with the coordinator.
        _ = try Eventually.until(timeout: .seconds(60), poll: .milliseconds(300)) {
            try ["d1", "d2", "d3"].contains {
                (try cluster.daemonMetric($0, "sluice_routine_load_rebalances_total", labels: ",kind=\"lost\"") ?? 0)
                    >= 1
            }
        }
        cluster.broker.setBroker(1, up: true)
        try await cluster.produce(600)
        #expect(try await cluster.waitLoaded())
        #expect(try await cluster.waitNoLingering())
        try await cluster.checkInvariants()
    }
}
