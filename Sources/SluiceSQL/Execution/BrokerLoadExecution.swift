import Foundation
import SluiceFiles
import SluiceFormat
import SluiceStorage

/// Runs LOAD LABEL, CANCEL LOAD and SHOW LOAD (spec C.2) against the process's
/// ``BrokerLoadManager``; SHOW LOAD also lists the other loads the journal remembers (Stream
/// Load, INSERT, transactions) by their committed or prepared labels.
struct BrokerLoadExecution {
    let engine: StorageEngine
    let manager: BrokerLoadManager?
    let session: Session
    let authorizer: Authorizer
    /// The HTTP URL of an error log (SHOW LOAD's `URL`); nil: none is shown.
    let errorLogURL: (@Sendable (String) -> String)?

    /// SHOW LOAD's columns, in StarRocks' order.
    static let columns = [
        "JobId", "Label", "State", "Progress", "Type", "Priority", "EtlInfo", "TaskInfo", "ErrorMsg", "CreateTime",
        "EtlStartTime", "EtlFinishTime", "LoadStartTime", "LoadFinishTime", "URL", "JobDetails",
    ]

    func run(_ statement: BrokerLoadStatement) throws -> ResultSet? {
        switch statement {
        case .load(let name, let descriptions, let storage, let properties):
            let database = try SQLExecutor.database(name, session)
            try runningManager().submit(
                database: database, label: name.name, descriptions: descriptions, storageProperties: storage,
                properties: properties, user: "\(session.user)")
            return nil
        case .cancel(let database, let label):
            let db = try self.database(database)
            let manager = try runningManager()
            if let job = manager.jobs(database: db).last(where: { $0.label == label }) {
                try authorizer.require(.insert, on: .table(database: db, name: job.table))
            }
            try manager.cancel(database: db, label: label)
            return nil
        case .show(let query):
            return try show(query)
        }
    }

    private func runningManager() throws(SQLError) -> BrokerLoadManager {
        guard let manager else { throw SQLError(.analysis, "Broker Load is not available in this process") }
        return manager
    }

    private func database(_ name: String?) throws(SQLError) -> String {
        guard let db = name ?? session.database else { throw SQLError(.noDatabase, "No database selected") }
        return db
    }

    private func show(_ query: ShowLoadQuery) throws -> ResultSet {
        let name = try database(query.database)
        let db = try engine.database(name)
        if !authorizer.sees(database: db.name) { try authorizer.require(.any, on: .database(db.name)) }
        var rows = [(id: Int64, row: [String?])]()
        var labels = Set<String>()
        for job in manager?.jobs(database: db.name) ?? [] where authorizer.sees(database: db.name, table: job.table) {
            labels.insert(job.label)
            rows.append((job.id, brokerRow(job)))
        }
        rows += transactionRows(db, skipping: labels)
        rows = rows.filter { entry in
            let label = entry.row[1] ?? ""
            if let wanted = query.label, label != wanted { return false }
            if let part = query.labelContains?.replacingOccurrences(of: "%", with: ""), !part.isEmpty,
                !label.contains(part)
            {
                return false
            }
            if let state = query.state, entry.row[2] != state { return false }
            return true
        }
        rows.sort { $0.id < $1.id }
        let ordered = try query.ordering.apply(to: rows.map(\.row), columns: Self.columns, numericColumn: 0) {
            SQLError(.analysis, "Title name[\($0)] does not exist")
        }
        return ResultSet.strings(Self.columns, ordered)
    }

    private static func time(_ seconds: Int64?) -> String? {
        seconds.map { CivilTime.formatDateTime($0 * CivilTime.microsPerSecond) }
    }

    private func brokerRow(_ job: BrokerLoadJob) -> [String?] {
        let c = job.counters
        let details: [String: Any] = [
            "All backends": [String: Any](), "FileNumber": job.fileNumber, "FileSize": job.fileSize,
            "InternalTableLoadBytes": c.loadedBytes, "InternalTableLoadRows": c.loadedRows, "ScanBytes": c.scanBytes,
            "ScanRows": c.scanRows, "TaskNumber": job.state == .pending || job.state == .queueing ? 0 : 1,
            "Unfinished backends": [String: Any](),
        ]
        let detailsText =
            (try? JSONSerialization.data(withJSONObject: details, options: [.sortedKeys])).map {
                String(decoding: $0, as: UTF8.self)
            } ?? "{}"
        let started = job.loadStartTime != nil
        return [
            String(job.id), job.label, job.state.rawValue, job.progressText, "BROKER", job.properties.priority,
            started || job.state == .finished
                ? "unselected.rows=\(c.unselectedRows); dpp.abnorm.ALL=\(c.filteredRows); dpp.norm.ALL=\(c.loadedRows)"
                : nil,
            "resource:N/A; timeout(s):\(job.properties.timeoutSeconds); max_filter_ratio:\(job.properties.filterRatioText)",
            job.failure.map { "type:\($0.kind.rawValue); msg:\($0.message)" }, Self.time(job.createTime),
            Self.time(job.etlStartTime), Self.time(job.etlFinishTime), Self.time(job.loadStartTime),
            Self.time(job.loadFinishTime), job.errorLogName.flatMap { name in errorLogURL.map { $0(name) } },
            detailsText,
        ]
    }

    /// Loads other than Broker Load: committed (FINISHED) and PREPARED labels.
    private func transactionRows(_ db: DatabaseMeta, skipping labels: Set<String>) -> [(id: Int64, row: [String?])] {
        let meta = engine.metaState
        var rows = [(id: Int64, row: [String?])]()
        func row(_ id: Int64, _ label: String, _ state: String, _ time: Int64, _ tableID: Int64, _ count: Int?)
            -> [String?]
        {
            let table = db.tables[tableID]?.name ?? ""
            let etl = count.map { "unselected.rows=0; dpp.abnorm.ALL=0; dpp.norm.ALL=\($0)" }
            return [
                String(id), label, state, state == "FINISHED" ? "ETL:100%; LOAD:100%" : "ETL:100%; LOAD:99%",
                "STREAM_LOAD", "NORMAL", etl, "resource:N/A; timeout(s):N/A; max_filter_ratio:N/A", nil,
                Self.time(time), Self.time(time), Self.time(time), Self.time(time),
                state == "FINISHED" ? Self.time(time) : nil, nil,
                "{\"Table\":\"\(table)\"}",
            ]
        }
        for (label, entry) in meta.labels[db.id] ?? [:] where !labels.contains(label) {
            guard authorizer.sees(database: db.name, table: db.tables[entry.tableID]?.name ?? "") else { continue }
            rows.append(
                (
                    entry.transactionID,
                    row(entry.transactionID, label, "FINISHED", entry.commitTime, entry.tableID, entry.rowCount)
                ))
        }
        for prepared in meta.prepared.values where prepared.databaseID == db.id && !labels.contains(prepared.label) {
            guard authorizer.sees(database: db.name, table: db.tables[prepared.tableID]?.name ?? "") else { continue }
            rows.append(
                (
                    prepared.transactionID,
                    row(
                        prepared.transactionID, prepared.label, "PREPARED", prepared.preparedTime, prepared.tableID, nil
                    )
                ))
        }
        return rows
    }
}
