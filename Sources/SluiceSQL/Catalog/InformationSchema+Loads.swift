import SluiceFiles
import SluiceFormat
import SluiceIO
import SluiceRoutineLoad
import SluiceStorage

/// `information_schema.loads` and `routine_load_jobs`: load monitoring over SQL.
extension InformationSchema {
    static let loadTables: [SystemTable] = [loads, routineLoadJobs, loadTrackingLogs]

    /// The rejected rows of Routine Load jobs (their error logs), one row per log file, newest
    /// last: what SHOW ROUTINE LOAD's `TrackingSQL` selects.
    static let loadTrackingLogs = SystemTable(
        "load_tracking_logs",
        [.number("JOB_ID"), .text("LABEL"), .text("DATABASE_NAME"), .text("TRACKING_LOG"), .text("TYPE")]
    ) { catalog, _ in
        guard let manager = catalog.routineLoad else { return [] }
        let engine = catalog.engine
        var rows = [[Value]]()
        for job in manager.errorLogs() {
            for file in job.files {
                let path = FilePath.join(engine.directory.errorsDirectory, file)
                guard let bytes = try? engine.fileSystem.readFile(path) else { continue }
                rows.append([
                    .number(job.jobID), .text(job.name), .text(job.database),
                    .text(String(decoding: bytes, as: UTF8.self)), .text("ROUTINE_LOAD"),
                ])
            }
        }
        return rows
    }

    /// Every load the journal remembers: committed labels (FINISHED), PREPARED transactions and
    /// aborted ones (CANCELLED), newest first. `TYPE` is `ROUTINE` for Routine Load commits,
    /// `INSERT` for INSERT's generated labels and `STREAM` for the rest (Stream Load, 2PC, and
    /// INSERTs that named a label — the journal does not record which path committed).
    static let loads = SystemTable(
        "loads",
        [
            .number("ID"), .text("LABEL"), .text("PROFILE_ID"), .text("DB_NAME"), .text("TABLE_NAME"),
            .text("USER"), .text("WAREHOUSE"), .text("STATE"), .text("PROGRESS"), .text("TYPE"), .text("PRIORITY"),
            .number("SCAN_ROWS"), .number("SCAN_BYTES"), .number("FILTERED_ROWS"), .number("UNSELECTED_ROWS"),
            .number("SINK_ROWS"), .text("RUNTIME_DETAILS"), .time("CREATE_TIME"), .time("LOAD_START_TIME"),
            .time("LOAD_COMMIT_TIME"), .time("LOAD_FINISH_TIME"), .text("PROPERTIES"), .text("ERROR_MSG"),
            .text("TRACKING_SQL"), .text("REJECTED_RECORD_PATH"), .number("JOB_ID"),
        ]
    ) { catalog, session in
        let meta = catalog.engine.metaState
        var loads = [(id: Int64, row: [Value])]()
        func row(
            id: Int64, label: String, database: DatabaseMeta, tableID: Int64, state: String, progress: String,
            type: String, rows: Int?, bytes: Int?, time: Int64, finished: Bool, error: String?, jobID: Int64?
        ) -> [Value] {
            let at = InformationSchema.time(time, session)
            return [
                .number(id), .text(label), .null, .text(database.name), .text(database.tables[tableID]?.name ?? ""),
                .text(""), .text("default_warehouse"), .text(state), .text(progress), .text(type), .text("NORMAL"),
                .number(rows), .number(bytes), .number(rows.map { _ in 0 }), .number(rows.map { _ in 0 }),
                .number(rows), .text("{}"), at, at, finished ? at : .null, finished ? at : .null, .text("{}"),
                .text(error), .null, .null, .number(jobID),
            ]
        }
        // Broker Load jobs: their own rows (state, counters, error), in place of their labels'.
        var brokerLabels = Set<String>()
        for job in catalog.brokerLoad?.allJobs ?? [] {
            brokerLabels.insert("\(job.database)\u{0}\(job.label)")
            let c = job.counters
            let time = { (seconds: Int64?) in seconds.map { InformationSchema.time($0, session) } ?? .null }
            loads.append(
                (
                    job.id,
                    [
                        .number(Int(job.id)), .text(job.label), .null, .text(job.database), .text(job.table),
                        .text(job.user), .text("default_warehouse"), .text(Self.loadsState(job.state)),
                        .text(job.progressText), .text("BROKER"), .text(job.properties.priority),
                        .number(c.scanRows), .number(c.scanBytes), .number(c.filteredRows), .number(c.unselectedRows),
                        .number(c.loadedRows), .text("{\"file_num\":\(job.fileNumber),\"file_size\":\(job.fileSize)}"),
                        time(job.createTime), time(job.loadStartTime),
                        job.state == .finished ? time(job.loadFinishTime) : .null, time(job.loadFinishTime),
                        .text(
                            "{\"timeout\":\(job.properties.timeoutSeconds),\"max_filter_ratio\":\(job.properties.maxFilterRatio)}"
                        ),
                        .text(job.failure.map { "type:\($0.kind.rawValue); msg:\($0.message)" }), .null,
                        .text(job.rejectedRecordPath), .null,
                    ]
                ))
        }
        for (databaseID, labels) in meta.labels {
            guard let database = meta.databases[databaseID] else { continue }
            for (label, entry) in labels where !brokerLabels.contains("\(database.name)\u{0}\(label)") {
                let type = entry.jobID != nil ? "ROUTINE" : label.hasPrefix("insert_") ? "INSERT" : "STREAM"
                loads.append(
                    (
                        entry.transactionID,
                        row(
                            id: entry.transactionID, label: label, database: database, tableID: entry.tableID,
                            state: "FINISHED", progress: "ETL:100%; LOAD:100%", type: type, rows: entry.rowCount,
                            bytes: entry.byteCount, time: entry.commitTime, finished: true, error: nil,
                            jobID: entry.jobID)
                    ))
            }
        }
        for prepared in meta.prepared.values {
            guard let database = meta.databases[prepared.databaseID] else { continue }
            loads.append(
                (
                    prepared.transactionID,
                    row(
                        id: prepared.transactionID, label: prepared.label, database: database,
                        tableID: prepared.tableID, state: "PREPARED", progress: "ETL:100%; LOAD:99%",
                        type: prepared.source != nil ? "ROUTINE" : "STREAM", rows: prepared.rowCount, bytes: nil,
                        time: prepared.preparedTime, finished: false, error: nil, jobID: prepared.source?.jobID)
                ))
        }
        for (databaseID, aborted) in meta.aborted {
            guard let database = meta.databases[databaseID] else { continue }
            for entry in aborted.values {
                loads.append(
                    (
                        entry.transactionID,
                        row(
                            id: entry.transactionID, label: entry.label, database: database, tableID: -1,
                            state: "CANCELLED", progress: "ETL:N/A; LOAD:N/A",
                            type: entry.label.hasPrefix("insert_") ? "INSERT" : "STREAM", rows: nil, bytes: nil,
                            time: entry.abortTime, finished: false, error: "type:LOAD_RUN_FAIL; msg:\(entry.reason)",
                            jobID: nil)
                    ))
            }
        }
        return loads.sorted { $0.id > $1.id }.map(\.row)
    }

    /// A Broker Load state as `information_schema.loads` spells it (`PENDING`, `QUEUEING`,
    /// `LOADING`, `FINISHED`, `CANCELLED`).
    static func loadsState(_ state: BrokerLoadState) -> String { state.rawValue }

    /// SHOW ROUTINE LOAD's rows (every job, stopped ones included) under StarRocks' system-view
    /// names.
    static let routineLoadJobs = SystemTable(
        "routine_load_jobs",
        [
            .number("JOB_ID"), .text("JOB_NAME"), .time("CREATE_TIME"), .time("PAUSE_TIME"), .time("END_TIME"),
            .text("DB_NAME"), .text("TABLE_NAME"), .text("STATE"), .text("DATA_SOURCE_TYPE"),
            .number("CURRENT_TASK_NUM"), .text("JOB_PROPERTIES"), .text("DATA_SOURCE_PROPERTIES"),
            .text("CUSTOM_PROPERTIES"), .text("STATISTICS"), .text("PROGRESS"), .text("REASONS_OF_STATE_CHANGED"),
            .text("ERROR_LOG_URLS"), .text("TRACKING_SQL"), .text("OTHER_MSG"), .text("LATEST_SOURCE_POSITION"),
            .text("OFFSET_LAG"), .text("TIMESTAMP_PROGRESS"),
        ]
    ) { catalog, session in
        guard let manager = catalog.routineLoad else { return [] }
        let shown = try manager.show(
            database: nil, name: nil, includeHistory: true,
            errorLogBase: "http://\(session.address ?? "127.0.0.1:8030")")
        let columns = RoutineLoadManager.showColumns
        func cell(_ row: [String?], _ name: String) -> String? {
            columns.firstIndex(of: name).flatMap { row[$0] }
        }
        func time(_ row: [String?], _ name: String) -> Value {
            cell(row, name).flatMap(CivilTime.parseDateTime).map(Value.int) ?? .null
        }
        return shown.map { r in
            [
                .number(cell(r, "Id").flatMap { Int64($0) }), .text(cell(r, "Name")), time(r, "CreateTime"),
                time(r, "PauseTime"), time(r, "EndTime"), .text(cell(r, "DbName")), .text(cell(r, "TableName")),
                .text(cell(r, "State")), .text(cell(r, "DataSourceType")),
                .number(cell(r, "CurrentTaskNum").flatMap { Int64($0) }), .text(cell(r, "JobProperties")),
                .text(cell(r, "DataSourceProperties")), .text(cell(r, "CustomProperties")),
                .text(cell(r, "Statistic")), .text(cell(r, "Progress")), .text(cell(r, "ReasonOfStateChanged")),
                .text(cell(r, "ErrorLogUrls")), .text(cell(r, "TrackingSQL")), .text(cell(r, "OtherMsg")),
                .text(cell(r, "LatestSourcePosition")), .text(cell(r, "Lag")), .text(cell(r, "TimestampProgress")),
            ]
        }
    }
}
