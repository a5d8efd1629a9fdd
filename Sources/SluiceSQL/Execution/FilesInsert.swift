import Foundation
import SluiceExpr
import SluiceFiles
import SluiceFormat
import SluiceLoad
import SluiceParquet
import SluiceStorage
import SluiceTxn

/// `INSERT INTO t [(cols)] SELECT * | cols FROM FILES(…)` with nothing else in the query — the
/// usual way to load files with SQL, and every pipe's task — runs as a file load: the files feed
/// a load session as Broker Load's do (Parquet row groups decoded side by side straight into the
/// table's types, CSV scanned in parallel) instead of passing through the query engine's batches
/// and casts. Any other query (expressions, WHERE, ORDER BY, …) takes the general path.
///
/// The statement's rules stay INSERT's: strict by default (a row that does not convert fails the
/// statement), `enable_insert_strict = false` leaves such rows out and counts them. As StarRocks
/// does for FILES(), a CSV row whose field count differs from the inferred columns is such a row.
struct FilesInsert {
    let function: FilesFunction
    let files: [ListedFile]
    /// The load's source fields in file order (Parquet: file column names; CSV: one per position).
    let fields: [String]

    /// The fast path for `select` into `targets` (schema indices) of `table`, or nil when the
    /// statement needs the general path.
    static func plan(
        _ select: SelectStatement, table: TableMeta, targets: [Int], partial: Bool, engine: StorageEngine,
        session: Session
    ) throws -> FilesInsert? {
        guard case .files(let properties, _) = select.source, select.filter == nil, select.groupBy.isEmpty,
            select.having == nil, select.orderBy.isEmpty, !select.distinct, select.limit == nil, select.offset == 0,
            !partial
        else { return nil }
        let function = try FilesFunction(properties, fileSystem: engine.fileSystem, timeZone: session.timeZone)
        guard !function.listFilesOnly, !function.fillMismatchWithNull else { return nil }
        let files = try function.files()
        let schema = try function.schema(of: files).map(\.name)
        var picked = [String]()
        for item in select.items {
            switch item.expr {
            case .star: picked += schema
            case .column(let name, _):
                guard let match = schema.first(where: { $0.lowercased() == name.lowercased() }) else { return nil }
                picked.append(match)
            default: return nil
            }
        }
        guard picked.count == targets.count else { return nil }
        let columns = table.schema.columns
        // `columns_from_path` columns are source fields of their own name (the load fills them per
        // file): each must be picked, into the table column of that name.
        let fromPath = function.pathColumns.names
        let isPath = { (name: String) in fromPath.contains { $0.lowercased() == name.lowercased() } }
        var pathPicked = 0
        for (name, target) in zip(picked, targets) where isPath(name) {
            guard name.lowercased() == columns[target].name.lowercased() else { return nil }
            pathPicked += 1
        }
        guard pathPicked == fromPath.count else { return nil }
        switch function.format {
        case .parquet:
            // Fields are read by name: each must feed the table column of that name.
            for (name, target) in zip(picked, targets) where name.lowercased() != columns[target].name.lowercased() {
                return nil
            }
            return FilesInsert(function: function, files: files, fields: picked)
        case .csv:
            // Fields are positions: each picked one is named for its column, the rest skipped.
            var fields = (0..<(schema.count - fromPath.count)).map { "__sluice_skip_\($0 + 1)" }
            for (name, target) in zip(picked, targets) where !isPath(name) {
                guard let position = Int(name.dropFirst()).map({ $0 - 1 }), fields.indices.contains(position),
                    fields[position].hasPrefix("__sluice_skip_")
                else { return nil }
                fields[position] = columns[target].name
            }
            return FilesInsert(function: function, files: files, fields: fields + fromPath)
        }
    }

    /// Loads the files into `table` under `transaction` and commits it.
    /// - Returns: rows written, and rows left out (non-strict).
    /// - Throws: ``SQLError`` — `.dataQuality` for a row that does not convert (strict), the
    ///   read's or the load's failure otherwise; the transaction is then aborted.
    func run(
        into table: TableMeta, transaction: Transaction, transactions: TransactionManager, engine: StorageEngine,
        session: Session, mergeCondition: String?, errorLogURL: (@Sendable (String) -> String)?
    ) throws -> (written: Int, filtered: Int) {
        var options = LoadOptions()
        options.columns = fields.map { "`\($0)`" }.joined(separator: ", ")
        options.columnsFromPath = function.pathColumns.names
        options.strictMode = true
        options.maxFilterRatio = session.insertStrict ? 0 : 1
        options.timeZone = session.timeZone
        options.nowMicros = session.nowMicros
        options.mergeCondition = mergeCondition
        options.flushDepth = max(1, ProcessInfo.processInfo.activeProcessorCount)
        options.csvFormat = function.csv
        let service = LoadService(engine: engine, transactions: transactions)
        let load: RunningLoad
        switch service.open(transaction, table: table.name, options: options) {
        case .failure(let failure): throw SQLError(.analysis, failure.result.message)
        case .success(let running): load = running
        }
        let budget = QueryBudget(session: session)
        let interrupt = { () -> LoadError? in
            do { try budget.check() } catch {
                return LoadError(.cancelled, (error as? SQLError)?.message ?? "\(error)")
            }
            return nil
        }
        do {
            switch function.format {
            case .parquet:
                try ParquetFeed(source: function.source, timeZone: session.timeZone).feed(
                    files, into: load, interrupt: interrupt)
            case .csv:
                try FileFeed(source: function.source).feed(
                    files, into: load, compression: function.compression, interrupt: interrupt)
            }
        } catch {
            let message: String
            switch error {
            case let stop as FileFeed.Interrupted: message = stop.error.message
            case let read as FileSourceError: message = read.message
            case let parquet as ParquetError: message = parquet.message
            case let load as LoadError: message = load.message
            default: message = "\(error)"
            }
            _ = load.abort(message)
            // A stop by the query's budget fails with its error (timeout, KILL, client gone).
            if error is FileFeed.Interrupted { try budget.check() }
            throw SQLError(.analysis, message)
        }
        let result = load.finish(.commit)
        guard result.status == .success else {
            guard result.errorCode == .tooManyFilteredRows else { throw SQLError(.analysis, result.message) }
            if let name = result.errorLogName, let url = errorLogURL?(name) {
                throw SQLError(.dataQuality, "Insert has filtered data in strict mode, tracking_url=\(url)")
            }
            throw SQLError(
                .dataQuality, "Insert has filtered data in strict mode: \(result.firstError ?? result.message)")
        }
        return (result.counters.loadedRows, result.counters.filteredRows)
    }
}
