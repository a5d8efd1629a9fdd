import Foundation
import Hummingbird
import NIOCore
import SluiceHTTP
import SluiceIO
import SluiceRoutineLoad
import SluiceStorage

/// `GET /`: the status page (HTML and a little script, no external assets), and `GET
/// /api/status`, the JSON it refreshes from every two seconds: Routine Load jobs (state, rows/s,
/// per-partition lag over the last minutes, source health), recent loads, tables. Behind a login
/// unless listed in `auth.open_endpoints` (or root has no password).
struct StatusRoutes: Sendable {
    let engine: StorageEngine
    let routineLoad: RoutineLoadManager
    let history = StatusHistory()
    /// Wall-clock seconds since the epoch.
    var now: @Sendable () -> Double = { Date().timeIntervalSince1970 }

    func register(on router: Router<SluiceRequestContext>, guard endpoints: EndpointGuard) {
        router.get("/") { request, context -> Response in
            if let refused = await endpoints.refusal("/", request, context) { return refused }
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: StatusPage.html)))
        }
        router.get("/api/status") { [self] request, context -> Response in
            if let refused = await endpoints.refusal("/api/status", request, context) { return refused }
            let body = try await BlockingIO.run(.foreground) { [self] in try snapshot() }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    /// The page's data as JSON.
    func snapshot() throws -> Data {
        let time = now()
        let health = routineLoad.health()
        let samples = history.record(health, at: time)
        var jobs = [[String: Any]]()
        for job in health {
            let name = "\(job.database).\(job.name)"
            let points = samples.filter { $0.loadedRows[name] != nil }
            var rate = 0.0
            if let first = points.first, let last = points.last, last.time > first.time {
                rate = Double((last.loadedRows[name] ?? 0) - (first.loadedRows[name] ?? 0)) / (last.time - first.time)
            }
            let partitions = Set(points.flatMap { $0.lag[name]?.keys.map { $0 } ?? [] }).sorted()
            jobs.append([
                "name": name, "state": job.state.rawValue, "pausedByError": job.pausedByError,
                "loadedRows": job.counters.loadedRows, "errorRows": job.counters.errorRows,
                "rowsPerSecond": rate.rounded(), "sourceUp": job.sourceUp,
                "lastFetch": job.lastFetchMilliseconds.map { Double($0) / 1000 } as Any,
                "lag": partitions.map { partition in
                    [
                        "partition": Int(partition),
                        "points": points.map { [$0.time, Double($0.lag[name]?[partition] ?? 0)] },
                    ] as [String: Any]
                },
            ])
        }
        let meta = engine.metaState
        var loads = [(time: Int64, row: [String: Any])]()
        for (databaseID, labels) in meta.labels {
            let database = meta.databases[databaseID]
            for (label, entry) in labels {
                loads.append(
                    (
                        entry.commitTime,
                        [
                            "label": label, "state": "VISIBLE", "time": entry.commitTime,
                            "table": "\(database?.name ?? "?").\(database?.tables[entry.tableID]?.name ?? "?")",
                            "rows": entry.rowCount as Any,
                        ]
                    ))
            }
        }
        for (databaseID, aborted) in meta.aborted {
            let database = meta.databases[databaseID]?.name ?? "?"
            for entry in aborted.values {
                loads.append(
                    (
                        entry.abortTime,
                        [
                            "label": entry.label, "state": "ABORTED", "time": entry.abortTime, "table": database,
                            "reason": entry.reason,
                        ]
                    ))
            }
        }
        let recent = loads.sorted { $0.time > $1.time }.prefix(20).map(\.row)
        var tables = [[String: Any]]()
        for database in meta.databases.values.sorted(by: { $0.name < $1.name }) {
            for table in database.tables.values.sorted(by: { $0.name < $1.name }) {
                let tablets = table.partitions.flatMap(\.tablets)
                tables.append([
                    "name": "\(database.name).\(table.name)", "model": table.keysType.sqlName,
                    "rows": table.rowCount, "rowsets": tablets.reduce(0) { $0 + $1.rowsets.count },
                    "tablets": tablets.count,
                ])
            }
        }
        let object: [String: Any] = ["time": time, "jobs": jobs, "loads": Array(recent), "tables": tables]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}
