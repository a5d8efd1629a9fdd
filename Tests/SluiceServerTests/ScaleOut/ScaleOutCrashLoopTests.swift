import Foundation
import SluiceRoutineLoad
import SluiceSink
import SluiceTesting
import Testing

/// Scenario 12 of the design note: one daemon crash-loops while two others keep loading.
@Suite(.serialized) struct ScaleOutCrashLoopTests {
    /// How a crash-looping daemon dies, chosen by the seeded generator each round.
    enum Death: CaseIterable {
        case afterBegin, afterPrepare, afterCommit, killedWhenAssigned

        var faults: String? {
            switch self {
            case .afterBegin: "remote_load.after_begin=crash@1"
            case .afterPrepare: "remote_load.after_prepare=crash@1"
            case .afterCommit: "remote_load.after_commit=crash@1"
            case .killedWhenAssigned: nil
            }
        }
    }

    /// d3 dies 20 times — at a fault point of its first batch or by `kill -9` once it owns
    /// partitions — and is started again each time. The leftovers stay bounded (open plus
    /// PREPARED transactions of the job ≤ 2 × daemons + kills so far, each traceable to a kill),
    /// none outlive the loop, and every message loads once (I1–I6).
    @Test(.timeLimit(.minutes(8)), arguments: ScaleOutCluster.tiers)
    func aCrashLoopingDaemonLeavesBoundedLeftoversAndLoadsOnce(api: String) async throws {
        let seed = SeededRandom.seedFromEnvironment(default: 12)
        var random = SeededRandom(seed: seed)
        let cluster = try await ScaleOutCluster(api: api)
        defer { cluster.stop() }
        try await cluster.produce(1200)
        try cluster.startDaemon("d1")
        try cluster.startDaemon("d2")
        let listing = try cluster.client()
        var peak = 0
        var kills = 0
        func lingering() -> Int {
            (try? listing.transactions(database: "db", labelPrefix: "sl_job-").filter { $0.state != .visible }.count)
                ?? 0
        }
        for round in 0..<Self.rounds {
            let death = Death.allCases.randomElement(using: &random)!
            let daemon = try cluster.startDaemon("d3", faults: death.faults, transactionTimeout: 30)
            let died: Bool
            switch death {
            case .killedWhenAssigned:
                died = try await Eventually.until(timeout: .seconds(90), poll: .milliseconds(200)) {
                    if daemon.output.contains("partitions assigned") { return true }
                    try await cluster.produce(30)
                    return false
                }
                daemon.kill9()
            case .afterBegin: died = try await cluster.waitForFault(daemon, "remote_load.after_begin", "crashing")
            case .afterPrepare: died = try await cluster.waitForFault(daemon, "remote_load.after_prepare", "crashing")
            case .afterCommit: died = try await cluster.waitForFault(daemon, "remote_load.after_commit", "crashing")
            }
            #expect(died, "round \(round) (\(death), seed \(seed)): d3 did not get that far")
            kills += 1
            let now = lingering()
            peak = max(peak, now)
            #expect(
                now <= 2 * 3 + kills, "round \(round): \(now) open or PREPARED transactions after \(kills) kills")
        }
        try cluster.startDaemon("d3")
        try await cluster.produce(600)
        #expect(try await cluster.waitLoaded(timeout: .seconds(180)), "seed \(seed)")
        #expect(try await cluster.waitNoLingering(timeout: .seconds(90)), "seed \(seed)")
        try await cluster.checkInvariants()
        print("crash loop (\(api)): \(kills) kills, peak \(peak) open or PREPARED transactions, seed \(seed)")
    }

    /// The long soak (`scripts/soak-scale-out.sh`; off in `make test`): for
    /// `SLUICE_SOAK_SECONDS`, under steady production, a seeded generator picks one fault at a
    /// time — kill -9 a daemon and restart it, SIGSTOP one past its session timeout and wake
    /// it, kill -9 the sink, lose every assignment (ILLEGAL_GENERATION), take a broker down and
    /// up, add a member, SIGTERM one — and the run ends with I1–I6.
    @Test(
        .enabled(if: ProcessInfo.processInfo.environment["SLUICE_SOAK_SECONDS"] != nil),
        .timeLimit(.minutes(240)), arguments: ScaleOutCluster.tiers)
    func randomisedFaultsSoak(api: String) async throws {
        let seconds = ProcessInfo.processInfo.environment["SLUICE_SOAK_SECONDS"].flatMap(Int.init) ?? 600
        let seed = SeededRandom.seedFromEnvironment(default: UInt64(Date().timeIntervalSince1970))
        var random = SeededRandom(seed: seed)
        print("scale-out soak (\(api)): \(seconds) s, seed \(seed)")
        let cluster = try await ScaleOutCluster(api: api)
        defer { cluster.stop() }
        var names = ["d1", "d2", "d3"]
        for name in names { try cluster.startDaemon(name) }
        var spare = 4
        let end = ContinuousClock.now + .seconds(seconds)
        var faults = [String: Int]()
        while ContinuousClock.now < end {
            try await cluster.produce(300)
            let fault = Int.random(in: 0..<7, using: &random)
            let victim = names.randomElement(using: &random)!
            switch fault {
            case 0:
                cluster.daemons[victim]?.kill9()
                try cluster.startDaemon(victim)
            case 1:
                let daemon = try #require(cluster.daemons[victim])
                daemon.send(SIGSTOP)
                try await cluster.produce(300)
                // Past the session timeout: wait until the others own every partition.
                let others = names.filter { $0 != victim }
                _ = try Eventually.until(timeout: .seconds(60), poll: .milliseconds(300)) {
                    try others.map { try cluster.owned($0) ?? 0 }.reduce(0, +) == cluster.partitions
                }
                daemon.send(SIGCONT)
            case 2: try await cluster.restartSink { try await cluster.produce(300) }
            case 3: cluster.broker.failHeartbeats(count: 10)
            case 4:
                // No producing while a broker is down (its partitions could not take messages):
                // the outage lasts until a member loses its assignment, or 20 s.
                let lost = { () throws -> Double in
                    try names.reduce(0) {
                        $0
                            + (try cluster.daemonMetric(
                                $1, "sluice_routine_load_rebalances_total", labels: ",kind=\"lost\"") ?? 0)
                    }
                }
                let before = try lost()
                cluster.broker.setBroker(2, up: false)
                _ = Eventually.until(timeout: .seconds(20), poll: .milliseconds(300)) { (try? lost()) ?? 0 > before }
                cluster.broker.setBroker(2, up: true)
            case 5 where names.count < 5:
                let name = "d\(spare)"
                spare += 1
                try cluster.startDaemon(name)
                names.append(name)
            default:
                guard names.count > 1 else { continue }
                cluster.daemons[victim]?.terminate()
                names.removeAll { $0 == victim }
            }
            faults[String(fault), default: 0] += 1
            // Let the group settle on what is loaded so far before the next fault.
            #expect(try await cluster.waitLoaded(timeout: .seconds(300)), "fault \(fault), seed \(seed)")
        }
        #expect(try await cluster.waitNoLingering(timeout: .seconds(90)), "seed \(seed)")
        try await cluster.checkInvariants()
        print(
            "scale-out soak (\(api)): faults \(faults.sorted { $0.key < $1.key }), \(cluster.total) messages, seed \(seed)"
        )
    }

    /// 20 rounds as the design note asks; `SLUICE_CRASH_LOOP_ROUNDS` changes it for soaks.
    static var rounds: Int {
        ProcessInfo.processInfo.environment["SLUICE_CRASH_LOOP_ROUNDS"].flatMap(Int.init) ?? 20
    }
}
