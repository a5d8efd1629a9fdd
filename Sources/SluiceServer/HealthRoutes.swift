import Hummingbird
import Prometheus
import ServiceLifecycle
import SluiceHTTP
import SluiceIO
import SluiceLoad
import SluiceRoutineLoad
import SluiceStorage
import SluiceTxn
import Synchronization

/// Whether the server should receive traffic: false from the moment shutdown begins.
final class Readiness: Sendable {
    private let draining = Atomic<Bool>(false)
    var isReady: Bool { !draining.load(ordering: .relaxed) }
    func markDraining() { draining.store(true, ordering: .relaxed) }
}

/// Flips ``Readiness`` to draining when graceful shutdown starts. Listed last in the service
/// group, so it hears of the shutdown first (services stop in reverse order).
struct ReadinessService: Service {
    let readiness: Readiness

    func run() async throws {
        try? await gracefulShutdown()
        readiness.markDraining()
    }
}

/// `GET /livez` (the process answers), `GET /readyz` (503 once draining) and `GET /metrics`
/// (Prometheus text format), without authentication, as monitoring expects.
///
/// Metrics are read from the engine's own state at scrape time — load totals, transactions,
/// Routine Load jobs with their journaled counters and lag — so nothing on a load's path pays
/// for them. Totals that only grow are exported as counters (advanced by what grew since the
/// previous scrape); a job's series disappear with the job.
final class HealthRoutes: Sendable {
    private let loads: LoadService
    private let transactions: TransactionManager
    private let routineLoad: RoutineLoadManager
    private let readiness: Readiness
    private let registry = PrometheusCollectorRegistry()
    private let exported = Mutex(Exported())

    private struct Exported {
        /// Last total exported per counter series, keyed by name and labels.
        var totals: [String: Int64] = [:]
        /// Per-job series, by job, so they can be removed with the job.
        var jobCounters: [String: [Counter]] = [:]
        var jobGauges: [String: [Gauge]] = [:]
    }

    init(loads: LoadService, transactions: TransactionManager, routineLoad: RoutineLoadManager, readiness: Readiness) {
        self.loads = loads
        self.transactions = transactions
        self.routineLoad = routineLoad
        self.readiness = readiness
        registry.makeGauge(
            descriptor: Self.descriptor("sluice_build_info", help: "Sluice build"),
            labels: [("version", SluiceVersion.current)]
        )
        .set(to: 1)
    }

    func register(on router: Router<SluiceRequestContext>, guard endpoints: EndpointGuard) {
        router.get("/livez") { request, context -> Response in
            if let refused = await endpoints.refusal("/livez", request, context) { return refused }
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { [readiness] request, context -> Response in
            if let refused = await endpoints.refusal("/readyz", request, context) { return refused }
            return readiness.isReady
                ? Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ready\n")))
                : Response(
                    status: .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: "draining\n")))
        }
        router.get("/metrics") { [self] request, context -> Response in
            if let refused = await endpoints.refusal("/metrics", request, context) { return refused }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            // Reading the engine's state takes its locks: off the cooperative pool.
            let text = try await BlockingIO.run { [self] in scrape() }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }

    /// The exposition text: current values of every series.
    func scrape() -> [UInt8] {
        exported.withLock { state in
            let stats = loads.statistics
            for (status, count) in stats.answers {
                advance(
                    &state, "sluice_stream_load_requests_total", [("status", status)], to: count,
                    help: "Stream Load requests answered, by Status")
            }
            for (result, count) in [
                ("loaded", stats.loadedRows), ("filtered", stats.filteredRows), ("unselected", stats.unselectedRows),
            ] {
                advance(
                    &state, "sluice_load_rows_total", [("result", result)], to: count,
                    help: "Rows of loads whose data was written (committed or prepared), by result")
            }
            advance(
                &state, "sluice_load_bytes_total", [], to: stats.receivedBytes,
                help: "Bytes received by loads whose data was written")
            advance(&state, "sluice_loads_total", [], to: stats.writtenLoads, help: "Loads whose data was written")
            gauge(
                "sluice_transactions", [("state", "running")], transactions.runningCount,
                help: "Open load transactions, by state")
            gauge(
                "sluice_transactions", [("state", "prepared")], loads.engine.preparedTransactions.count,
                help: "Open load transactions, by state")
            let index = loads.engine.primaryIndexStatistics
            gauge(
                "sluice_primary_index_tablets", [], index.tablets,
                help: "Merge-on-write tablets whose primary index is in memory")
            gauge("sluice_primary_index_keys", [], index.keys, help: "Keys held by the in-memory primary indexes")
            gauge(
                "sluice_primary_index_bytes", [], index.bytes,
                help: "Heap bytes held by the in-memory primary indexes (keys, locations, hash table slack)")
            let origins = loads.engine.primaryIndexLoads
            for (origin, count) in [("snapshot", origins.restored), ("rebuilt", origins.rebuilt)] {
                gauge(
                    "sluice_primary_index_loads", [("origin", origin)], count,
                    help: "Primary indexes brought into memory since start, by origin")
            }
            for database in loads.engine.metaState.databases.values {
                for table in database.tables.values {
                    advance(
                        &state, "sluice_table_commits_total", [("database", database.name), ("table", table.name)],
                        to: Int(table.version - 1),
                        help:
                            "Versions published per table (one per commit; its rate is the table's commits per second)")
                }
            }
            advance(
                &state, "sluice_source_commit_conflicts_total", [], to: loads.engine.sourceCommitConflicts,
                help: "Remote daemons' source batches refused by the fencing check (overlap or gap)")
            exportJobs(&state)
            return registry.emitToBuffer()
        }
    }

    private func exportJobs(_ state: inout Exported) {
        let jobs = routineLoad.health()
        for jobState in JobState.allCases where !jobState.isFinal {
            gauge(
                "sluice_routine_load_jobs", [("state", jobState.rawValue)], jobs.filter { $0.state == jobState }.count,
                help: "Routine Load jobs, by state")
        }
        gauge(
            "sluice_routine_load_error_paused_jobs", [], jobs.filter(\.pausedByError).count,
            help: "Routine Load jobs paused by a fault rather than by a user")
        var present = Set<String>()
        for job in jobs {
            let name = "\(job.database).\(job.name)"
            present.insert(name)
            let labels = [("job", name)]
            let c = job.counters
            var counters = [Counter]()
            for (result, total) in [
                ("loaded", c.loadedRows), ("filtered", c.errorRows), ("unselected", c.unselectedRows),
                ("skipped", c.skippedRows),
            ] {
                counters.append(
                    advance(
                        &state, "sluice_routine_load_rows_total", labels + [("result", result)], to: Int(total),
                        help: "Rows of committed Routine Load batches, by result (skipped = already loaded)"))
            }
            counters.append(
                advance(
                    &state, "sluice_routine_load_tasks_total", labels + [("outcome", "committed")],
                    to: Int(c.committedTasks), help: "Routine Load batches, by outcome"))
            counters.append(
                advance(
                    &state, "sluice_routine_load_tasks_total", labels + [("outcome", "aborted")],
                    to: Int(job.abortedTasks), help: "Routine Load batches, by outcome"))
            state.jobCounters[name] = counters
            state.jobGauges[name] = [
                gauge(
                    "sluice_routine_load_lag", labels, Int(job.lag.values.reduce(0, +)),
                    help: "Messages not yet loaded, summed over the job's partitions"),
                gauge(
                    "sluice_routine_load_max_lag", labels, Int(job.lag.values.max() ?? 0),
                    help: "Messages not yet loaded in the job's most lagging partition"),
                gauge(
                    "sluice_routine_load_source_up", labels, job.sourceUp ? 1 : 0,
                    help: "1 while the job's Kafka brokers answer, 0 once silent past routine_load.source_grace_seconds"
                ),
                gauge(
                    "sluice_routine_load_last_fetch_timestamp_seconds", labels,
                    job.lastFetchMilliseconds.map { Double($0) / 1000 } ?? 0,
                    help: "When the job's Kafka brokers last answered (Unix seconds; 0 before the first answer)"),
            ]
        }
        exportRemoteJobs(&state, present: &present)
        for name in Set(state.jobCounters.keys).subtracting(present) {
            for counter in state.jobCounters.removeValue(forKey: name) ?? [] { registry.unregisterCounter(counter) }
            for gauge in state.jobGauges.removeValue(forKey: name) ?? [] { registry.unregisterGauge(gauge) }
            state.totals = state.totals.filter { !$0.key.contains("job=\(name)|") }
        }
    }

    /// Remote-sink jobs of this daemon (issue 17's observability): partitions owned, rebalances
    /// by kind, fencing rejections, lingering batches adopted or aborted, revoke outcomes, lag.
    private func exportRemoteJobs(_ state: inout Exported, present: inout Set<String>) {
        for job in routineLoad.remoteJobs {
            let name = "\(job.definition.database).\(job.definition.name)"
            present.insert(name)
            let labels = [("job", name)]
            let s = job.snapshot
            var counters = [Counter]()
            for kind in RemoteJobStatus.Rebalance.allCases {
                counters.append(
                    advance(
                        &state, "sluice_routine_load_rebalances_total", labels + [("kind", kind.rawValue)],
                        to: s.rebalances[kind] ?? 0,
                        help: "Consumer-group rebalances this daemon saw, by kind (assigned, revoked, lost)"))
            }
            for outcome in RemoteJobStatus.RevokeOutcome.allCases {
                counters.append(
                    advance(
                        &state, "sluice_routine_load_revokes_total", labels + [("outcome", outcome.rawValue)],
                        to: s.revokes[outcome] ?? 0,
                        help: "What a revoke did with the batch in flight (committed, rolled_back, empty)"))
            }
            counters.append(
                advance(
                    &state, "sluice_routine_load_fencing_rejections_total", labels, to: s.fencingRejections,
                    help: "Batches the sink's fence refused (another daemon committed past or over them)"))
            for (outcome, total) in [("adopted", s.adoptedLingering), ("aborted", s.abortedLingering)] {
                counters.append(
                    advance(
                        &state, "sluice_routine_load_lingering_transactions_total", labels + [("outcome", outcome)],
                        to: total, help: "PREPARED batches left by other daemons, adopted or rolled back at assignment")
                )
            }
            counters.append(
                advance(
                    &state, "sluice_routine_load_tasks_total", labels + [("outcome", "committed")],
                    to: s.committedBatches, help: "Routine Load batches, by outcome"))
            counters.append(
                advance(
                    &state, "sluice_routine_load_rows_total", labels + [("result", "loaded")], to: s.loadedRows,
                    help: "Rows of committed Routine Load batches, by result (skipped = already loaded)"))
            state.jobCounters[name] = counters
            var gauges = [
                gauge(
                    "sluice_routine_load_partitions_owned", labels, s.owned.count,
                    help: "Partitions of the job this daemon owns now (remote-sink mode)"),
                gauge(
                    "sluice_routine_load_lag", labels, Int(s.lag.values.reduce(0, +)),
                    help: "Messages not yet loaded, summed over the job's partitions"),
                gauge(
                    "sluice_routine_load_batch_interval_seconds", labels, Double(s.batchIntervalMilliseconds) / 1000,
                    help: "The batch interval in force (grows with the consumer group: the commit budget)"),
            ]
            for (partition, next) in s.owned {
                gauges.append(
                    gauge(
                        "sluice_routine_load_partition_next_offset", labels + [("partition", "\(partition)")],
                        Int(next ?? -1), help: "Next offset to load per owned partition (-1 until the sink answers)"))
            }
            for gauge in tail(state.jobGauges[name] ?? [], after: gauges) { registry.unregisterGauge(gauge) }
            state.jobGauges[name] = gauges
        }
    }

    /// Gauges of `old` that `new` no longer holds (partitions this daemon gave away).
    private func tail(_ old: [Gauge], after new: [Gauge]) -> [Gauge] {
        let kept = Set(new.map(ObjectIdentifier.init))
        return old.filter { !kept.contains(ObjectIdentifier($0)) }
    }

    /// The counter for `name` and `labels`, advanced to `total` (a total that went down — a job
    /// dropped and created again under its name — only moves the baseline).
    @discardableResult
    private func advance(
        _ state: inout Exported, _ name: String, _ labels: [(String, String)], to total: Int, help: String
    ) -> Counter {
        let counter = registry.makeCounter(descriptor: Self.descriptor(name, help: help), labels: labels)
        let key = name + "{" + labels.map { "\($0.0)=\($0.1)|" }.joined() + "}"
        let previous = state.totals[key] ?? 0
        if Int64(total) > previous { counter.increment(by: Int64(total) - previous) }
        state.totals[key] = Int64(total)
        return counter
    }

    @discardableResult
    private func gauge(_ name: String, _ labels: [(String, String)], _ value: Int, help: String) -> Gauge {
        gauge(name, labels, Double(value), help: help)
    }

    @discardableResult
    private func gauge(_ name: String, _ labels: [(String, String)], _ value: Double, help: String) -> Gauge {
        let gauge = registry.makeGauge(descriptor: Self.descriptor(name, help: help), labels: labels)
        gauge.set(to: value)
        return gauge
    }

    /// A whole metric name (no namespace or unit parts) with its help text.
    private static func descriptor(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
