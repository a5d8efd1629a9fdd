import Dispatch
import Foundation
package import SluiceExpr
import SluiceFormat
import SluiceIO
package import SluiceLoad
import SluiceParquet
import Synchronization

/// Feeds Parquet files into an open load: each file's row groups, only the columns the load reads
/// (matched by name), decoded straight into the load's source columns.
package struct ParquetFeed: Sendable {
    package let source: any FileStore
    package let timeZone: SessionTimeZone

    /// Row groups decoded at once (the machine's cores by default).
    package var parallelism = max(1, ProcessInfo.processInfo.activeProcessorCount)

    package init(source: any FileStore, timeZone: SessionTimeZone) {
        self.source = source
        self.timeZone = timeZone
    }

    /// - Parameters:
    ///   - interrupt: asked before every row group; a non-nil answer stops the feed.
    ///   - progress: bytes of files done so far, after every row group.
    /// - Throws: ``ParquetError`` (a file that is not Parquet, damaged, or lacks a column the load
    ///   reads), ``FileSourceError``, ``FileFeed/Interrupted``, or the load's error.
    package func feed(
        _ files: [ListedFile], into load: RunningLoad, interrupt: () -> LoadError? = { nil },
        progress: (Int) -> Void = { _ in }
    ) throws {
        let names = load.fileFieldNames
        let types = load.fileFieldTypes.map { $0 ?? .string }
        let pathColumns = PathColumns(load.columnsFromPath)
        var done = 0
        for file in files {
            if let error = interrupt() { throw FileFeed.Interrupted(error: error) }
            try load.setPathValues(pathColumns.values(in: file.path))
            let parquet = try ParquetFile(source: source, file: file)
            var indices = [Int]()
            for name in names {
                guard let index = parquet.columnIndex(name) else {
                    throw ParquetError(
                        .unsupported,
                        "Column '\(name)' is not in Parquet file \(file.path) (its columns: "
                            + parquet.metadata.columns.map(\.name).joined(separator: ", ")
                            + "): name the file's columns in the column list")
                }
                indices.append(index)
            }
            let groups = parquet.metadata.rowGroups
            let totalBytes = max(1, groups.reduce(0) { $0 + $1.columns.reduce(0) { $0 + Int($1.compressedSize) } })
            var groupBytes = 0
            // Row groups decode side by side, one per core, handed to the load in order.
            var pending = [DecodedRowGroup]()
            var next = 0
            func schedule() {
                while next < groups.count && pending.count < parallelism {
                    pending.append(
                        DecodedRowGroup(
                            file: parquet, group: next, columns: indices, targets: types, timeZone: timeZone,
                            concurrently: groups.count == 1))
                    next += 1
                }
            }
            schedule()
            for (g, group) in groups.enumerated() {
                if let error = interrupt() { throw FileFeed.Interrupted(error: error) }
                let rows = Int(group.rowCount)
                let decoded = pending.removeFirst()
                precondition(decoded.group == g)
                let (columns, failures) = try decoded.wait()
                schedule()
                let bytes = group.columns.reduce(0) { $0 + Int($1.compressedSize) }
                try load.consume(
                    columns: columns, failures: failures, rows: rows, bytes: bytes,
                    describe: Self.describer(columns, failures))
                groupBytes += bytes
                progress(done + file.size * groupBytes / totalBytes)
            }
            done += file.size
            progress(done)
        }
    }

    /// A row's values as comma-separated text (`\N` for NULL, a failed value as it was written):
    /// what the error log shows for a rejected Parquet row.
    static func describer(_ columns: [ColumnVector], _ failures: [ParseFailures]) -> @Sendable (Int) -> [UInt8] {
        var failed = [Int: [Int: String]]()
        for (j, list) in failures.enumerated() {
            for (row, text) in list { failed[row, default: [:]][j] = text }
        }
        let texts = failed
        return { row in
            var out = [UInt8]()
            for (j, column) in columns.enumerated() {
                if j > 0 { out.append(UInt8(ascii: ",")) }
                if let text = texts[row]?[j] {
                    out.append(contentsOf: text.utf8)
                } else if let text = column.value(at: row).text(as: column.type) {
                    out.append(contentsOf: text.utf8)
                } else {
                    out.append(contentsOf: Array("\\N".utf8))
                }
            }
            return out
        }
    }
}

/// One row group being decoded on a background thread.
private final class DecodedRowGroup: Sendable {
    let group: Int
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<Result<(columns: [ColumnVector], failures: [ParseFailures]), any Error>?>(nil)

    init(
        file: ParquetFile, group: Int, columns: [Int], targets: [ColumnType], timeZone: SessionTimeZone,
        concurrently: Bool
    ) {
        self.group = group
        BackgroundWork.async { [self] in
            let decoded = Result {
                try file.read(
                    rowGroup: group, columns: columns, targets: targets, timeZone: timeZone, concurrently: concurrently)
            }
            result.withLock { $0 = decoded }
            done.signal()
        }
    }

    func wait() throws -> (columns: [ColumnVector], failures: [ParseFailures]) {
        done.wait()
        done.signal()
        return try result.withLock { $0! }.get()
    }
}
