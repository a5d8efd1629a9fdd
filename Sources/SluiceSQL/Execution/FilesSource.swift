import Foundation
import SluiceExpr
import SluiceFiles
import SluiceFormat
import SluiceIO
import SluiceLoad
import SluiceParquet
import SluiceStorage

extension FilesFunction {
    /// FILES() as a query source: `*` expanded to the inferred columns, only referenced columns
    /// read, Parquet row groups skipped when their statistics rule the `WHERE` out.
    func makeSource(
        _ select: inout SelectStatement, alias: String?, expandStar: (inout SelectStatement, [String]) -> Void
    )
        throws -> QueryExecution.Source
    {
        if listFilesOnly {
            let result = try listing()
            expandStar(&select, result.columns.map(\.name))
            var batches = result.batches[...]
            return QueryExecution.Source(
                names: result.columns.map(\.name), types: result.columns.map(\.type),
                qualifiers: alias.map { [$0] } ?? [],
                next: {
                    guard let batch = batches.popFirst() else { return nil }
                    return (batch, batch.first?.count ?? 0)
                }, statistics: { ScanStatistics() })
        }
        let files = try self.files()
        let schema = try self.schema(of: files)
        expandStar(&select, schema.map(\.name))
        var referenced = Set<String>()
        for item in select.items { item.expr.collectColumns(into: &referenced) }
        select.filter?.collectColumns(into: &referenced)
        for e in select.groupBy { e.collectColumns(into: &referenced) }
        select.having?.collectColumns(into: &referenced)
        for o in select.orderBy { o.expr.collectColumns(into: &referenced) }
        var indices = schema.indices.filter { referenced.contains(schema[$0].name.lowercased()) }
        let countOnly = indices.isEmpty
        if countOnly { indices = [0] }
        let columns = indices.map { schema[$0] }
        let predicates = PruningPredicates.extract(select.filter, columns: columns)
        var reader = FilesReader(function: self, files: files, columns: columns, predicates: predicates)
        var statistics = ScanStatistics()
        return QueryExecution.Source(
            names: countOnly ? [] : columns.map(\.name), types: countOnly ? [] : columns.map(\.type),
            qualifiers: alias.map { [$0] } ?? [],
            next: {
                guard let (batch, rows, bytes) = try reader.next() else { return nil }
                statistics.rows += rows
                statistics.bytes += bytes
                return (countOnly ? [] : batch, rows)
            },
            statistics: { statistics })
    }

    /// `list_files_only`: PATH, SIZE, IS_DIR, MODIFICATION_TIME per file the paths name; with
    /// `list_recursively`, every file and directory below them (directories with size 0).
    func listing() throws -> ResultSet {
        var entries = [(path: String, size: Int, directory: Bool, modified: Int64)]()
        for path in paths {
            do {
                if listRecursively {
                    entries += try recursiveEntries(path)
                } else {
                    let pattern = path.hasSuffix("/") ? path + "*" : path
                    entries += try source.list(pattern).map { ($0.path, $0.size, false, $0.modifiedMillis) }
                }
            } catch let error as FileSourceError {
                throw SQLError(error.code == .noFilesFound ? .filesNotFound : .analysis, error.message)
            }
        }
        let times = entries.map { timeZone.toLocal(utcMicros: CivilTime.floorDivide($0.modified, 1000).0 * 1_000_000) }
        var paths = ColumnVector(type: .string)
        for entry in entries { paths.appendBytes(Array(entry.path.utf8)) }
        return ResultSet(
            columns: [
                ResultColumn(name: "PATH", type: .string), ResultColumn(name: "SIZE", type: .bigint),
                ResultColumn(name: "IS_DIR", type: .boolean), ResultColumn(name: "MODIFICATION_TIME", type: .datetime),
            ],
            batches: entries.isEmpty
                ? []
                : [
                    [
                        paths, ColumnVector(type: .bigint, ints: entries.map { Int64($0.size) }),
                        ColumnVector(type: .boolean, ints: entries.map { $0.directory ? 1 : 0 }),
                        ColumnVector(type: .datetime, ints: times),
                    ]
                ])
    }

    /// Every file and directory below `path` (a directory or prefix), sorted by path.
    private func recursiveEntries(_ path: String) throws -> [(
        path: String, size: Int, directory: Bool, modified: Int64
    )] {
        var entries = [(path: String, size: Int, directory: Bool, modified: Int64)]()
        if S3Location.isS3(path) {
            let location = try S3Location(path)
            var prefix = location.key
            if !prefix.isEmpty && !prefix.hasSuffix("/") { prefix += "/" }
            let store = S3Files(settings: try S3Settings(properties: properties))
            var directories = Set<String>()
            for object in try store.listObjects(bucket: location.bucket, prefix: prefix) {
                let relative = object.key.dropFirst(prefix.count)
                var parts = relative.split(separator: "/", omittingEmptySubsequences: false).dropLast()
                while !parts.isEmpty {
                    let directory = prefix + parts.joined(separator: "/")
                    if directories.insert(directory).inserted {
                        entries.append((S3Location.url(bucket: location.bucket, key: directory), 0, true, 0))
                    }
                    parts = parts.dropLast()
                }
                if !object.key.hasSuffix("/") {
                    entries.append(
                        (
                            S3Location.url(bucket: location.bucket, key: object.key), Int(object.size), false,
                            S3Files.epochMillis(object.lastModified)
                        ))
                }
            }
        } else {
            let fs = source.local.fileSystem
            var root = path.hasPrefix("file://") ? String(path.dropFirst(7)) : path
            while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
            guard fs.isDirectory(root) else {
                return try source.list(path).map { ($0.path, $0.size, false, $0.modifiedMillis) }
            }
            var stack = [root]
            while let directory = stack.popLast() {
                for name in ((try? fs.listDirectory(directory)) ?? []).sorted() where !name.hasPrefix(".") {
                    let child = FilePath.join(directory, name)
                    let modified = (try? fs.modificationMillis(child)) ?? 0
                    if fs.isDirectory(child) {
                        entries.append((child, 0, true, modified))
                        stack.append(child)
                    } else {
                        entries.append((child, (try? fs.fileSize(child)) ?? 0, false, modified))
                    }
                }
            }
        }
        guard !entries.isEmpty else { throw FileSourceError.noFilesFound([path]) }
        return entries.sorted { $0.path < $1.path }
    }
}

/// Reads FILES()'s files batch by batch: Parquet a row group at a time, CSV a chunk at a time.
/// Columns from the path (`columns_from_path`) are one value per file.
struct FilesReader {
    let function: FilesFunction
    let files: [ListedFile]
    let columns: [(name: String, type: ColumnType)]
    let predicates: [ScanPredicate]
    /// The columns the files hold, and for each of ``columns`` its place there or among the path
    /// columns.
    private let fileColumns: [(name: String, type: ColumnType)]
    private let slots: [Slot]
    private var pathValues: [String?] = []
    private var fileIndex = 0
    private var parquet: ParquetFile?
    private var indices: [Int?] = []
    private var group = 0
    private var csvOffset = 0
    private var scanner: CSVScanner?
    private var decompressor: (any StreamDecompressor)?
    private var pending = [([ColumnVector], Int, Int)]()

    init(
        function: FilesFunction, files: [ListedFile], columns: [(name: String, type: ColumnType)],
        predicates: [ScanPredicate]
    ) {
        self.function = function
        self.files = files
        self.columns = columns
        self.predicates = predicates
        var fileColumns = [(name: String, type: ColumnType)]()
        slots = columns.map { column in
            let lower = column.name.lowercased()
            if let k = function.pathColumns.names.firstIndex(where: { $0.lowercased() == lower }) { return .path(k) }
            fileColumns.append(column)
            return .file(fileColumns.count - 1)
        }
        self.fileColumns = fileColumns
    }

    private enum Slot {
        /// The k-th column the files hold.
        case file(Int)
        /// The k-th of `columns_from_path`.
        case path(Int)
    }

    /// A batch of the files' columns with the current file's path values added: every column.
    private func complete(_ batch: [ColumnVector], rows: Int) -> [ColumnVector] {
        guard fileColumns.count != columns.count else { return batch }
        return slots.map { slot in
            switch slot {
            case .file(let k): return batch[k]
            case .path(let k):
                return ColumnVector(
                    type: FilesFunction.inferredString,
                    repeating: pathValues[k].map { .bytes(Array($0.utf8)) } ?? .null,
                    count: rows)
            }
        }
    }

    /// The next batch: columns, rows, bytes read.
    mutating func next() throws -> ([ColumnVector], Int, Int)? {
        while true {
            if !pending.isEmpty { return pending.removeFirst() }
            guard fileIndex < files.count else { return nil }
            let file = files[fileIndex]
            switch function.format {
            case .parquet:
                if parquet == nil {
                    let opened = try function.openParquet(file)
                    pathValues = try function.pathValues(file)
                    indices = try fileColumns.map { column in
                        if let index = opened.columnIndex(column.name) { return index }
                        guard function.fillMismatchWithNull else {
                            throw SQLError(
                                .analysis,
                                "Column '\(column.name)' is not in \(file.path) (its columns: "
                                    + opened.metadata.columns.map(\.name).joined(separator: ", ")
                                    + "): set \"fill_mismatch_column_with\" = \"null\" to read it as NULL there")
                        }
                        return nil
                    }
                    parquet = opened
                    group = 0
                }
                guard let file = parquet, group < file.metadata.rowGroups.count else {
                    parquet = nil
                    fileIndex += 1
                    continue
                }
                let g = group
                group += 1
                if skips(file, g) { continue }
                let present = indices.enumerated().compactMap { k, index in index.map { (k, $0) } }
                let rows = Int(file.metadata.rowGroups[g].rowCount)
                let read: (columns: [ColumnVector], failures: [ParseFailures])
                do {
                    read = try file.read(
                        rowGroup: g, columns: present.map(\.1), targets: present.map { columns[$0.0].type },
                        timeZone: function.timeZone)
                } catch let error as ParquetError {
                    throw SQLError(.analysis, error.message)
                } catch let error as FileSourceError {
                    throw SQLError(.analysis, error.message)
                }
                var batch = fileColumns.map { ColumnVector(type: $0.type, repeating: .null, count: rows) }
                for (slot, (k, _)) in present.enumerated() { batch[k] = read.columns[slot] }
                let bytes = file.metadata.rowGroups[g].columns.reduce(0) { $0 + Int($1.compressedSize) }
                return (complete(batch, rows: rows), rows, bytes)
            case .csv:
                if scanner == nil {
                    pathValues = try function.pathValues(file)
                    scanner = CSVScanner(format: function.csv)
                    decompressor = try function.decompressor(for: file)
                    csvOffset = 0
                }
                let raw = try function.read(file, offset: csvOffset, length: 4 << 20)
                csvOffset += raw.count
                let done = raw.isEmpty || csvOffset >= file.size
                let chunk = try function.plain(raw, decompressor)
                if done, let decompressor, !decompressor.isAtFrameEnd {
                    throw SQLError(
                        .analysis, "\(file.path) ends inside a \(decompressor.name) frame: the file is truncated")
                }
                var produced = [([ColumnVector], Int, Int)]()
                let columns = fileColumns
                let emit: (UnsafeRawBufferPointer, CSVRows) -> Void = { buffer, rows in
                    produced.append(Self.csvBatch(buffer, rows, columns: columns, bytes: chunk.count))
                }
                chunk.withUnsafeBytes { scanner!.consume($0, emit: emit) }
                if done {
                    scanner!.finish(emit: emit)
                    scanner = nil
                    fileIndex += 1
                }
                pending += produced.filter { $0.1 > 0 }.map { (complete($0.0, rows: $0.1), $0.1, $0.2) }
            }
        }
    }

    /// Whether row group `g`'s statistics rule every predicate's range out.
    private func skips(_ file: ParquetFile, _ g: Int) -> Bool {
        for predicate in predicates {
            guard case .file(let k) = slots[predicate.column], let index = indices[k],
                let stats = file.metadata.rowGroups[g].columns[index].statistics, let min = stats.min,
                let max = stats.max,
                let low = Self.value(min, file.metadata.columns[index], columns[predicate.column].type),
                let high = Self.value(max, file.metadata.columns[index], columns[predicate.column].type)
            else { continue }
            if !predicate.mayMatch(min: low, max: high) { return true }
        }
        return false
    }

    /// A PLAIN-encoded statistic as a value of the column's inferred type, where the value is the
    /// number or bytes itself (nil otherwise: no pruning on that column).
    static func value(_ bytes: [UInt8], _ column: ParquetColumn, _ type: ColumnType) -> Value? {
        func integer() -> Int64? {
            switch (column.physical, bytes.count) {
            case (.int32, 4): Int64(bytes.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(as: Int32.self)) })
            case (.int64, 8): bytes.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
            default: nil
            }
        }
        switch (column.logical, type) {
        case (.none, .int), (.none, .bigint), (.integer(_, true), _), (.date, .date):
            return integer().map { .int($0) }
        case (.timestamp(false, .micros), .datetime):
            return integer().map { .int($0) }
        case (.none, .double), (.none, .float):
            if column.physical == .double, bytes.count == 8 {
                return .double(
                    bytes.withUnsafeBytes {
                        Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)))
                    })
            }
            if column.physical == .float, bytes.count == 4 {
                return .double(
                    Double(
                        bytes.withUnsafeBytes {
                            Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)))
                        }))
            }
            return nil
        case (.string, _) where column.physical == .byteArray:
            return .bytes(bytes)
        default:
            return nil
        }
    }

    /// A CSV batch as typed columns (`\N` and values that do not convert are NULL).
    static func csvBatch(
        _ buffer: UnsafeRawBufferPointer, _ rows: CSVRows, columns: [(name: String, type: ColumnType)], bytes: Int
    ) -> ([ColumnVector], Int, Int) {
        var out = columns.map { ColumnVector(type: $0.type, capacity: rows.count) }
        rows.unescaped.withUnsafeBytes { unescaped in
            for r in 0..<rows.count {
                let fields = rows.fieldCount(r)
                for (k, column) in columns.enumerated() {
                    let position = Int(column.name.dropFirst()).map { $0 - 1 } ?? k
                    guard position < fields else {
                        out[k].appendNull()
                        continue
                    }
                    let field = rows.field(r, position, in: buffer, unescaped: unescaped)
                    if field.count == 2, field[0] == 92, field[1] == 78 {
                        out[k].appendNull()
                    } else {
                        _ = FieldParser.append(field, to: &out[k])
                    }
                }
            }
        }
        return (out, rows.count, bytes)
    }
}
