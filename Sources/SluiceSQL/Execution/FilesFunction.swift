import Foundation
import SluiceExpr
import SluiceFiles
import SluiceFormat
import SluiceIO
import SluiceLoad
import SluiceParquet

/// The `FILES()` table function (spec C.3): files on local disk or S3 read as a table. Validates
/// its properties, infers the schema StarRocks would (Parquet columns by name, CSV columns `$1`,
/// `$2`, … by position with detected types, unions across the sampled files) and reads the files
/// in batches — Parquet only the referenced columns, row groups skipped when their statistics
/// rule the `WHERE` out.
struct FilesFunction {
    enum Format: String { case parquet, csv }

    let properties: [String: String]
    let paths: [String]
    let format: Format
    let source: FileSource
    let timeZone: SessionTimeZone
    var csv = CSVFormat()
    var sampleFiles = 2
    var sampleRows = 500
    var detectTypes = true
    /// `fill_mismatch_column_with = null`: a column some file lacks reads as NULL there.
    var fillMismatchWithNull = false
    var listFilesOnly = false
    var listRecursively = false
    /// `compression`: how CSV files are compressed (else by extension).
    var compression: String?
    /// `columns_from_path`: columns read from each file's `name=value` directories, after the
    /// files' own.
    var pathColumns = PathColumns([])

    /// What StarRocks shows for an inferred string column.
    static let inferredString = ColumnType.varchar(length: 2_147_482_624)

    /// The property names FILES() takes (besides `aws.s3.*`).
    static let known: Set<String> = [
        "path", "format", "csv.column_separator", "csv.row_delimiter", "csv.enclose", "csv.escape",
        "csv.skip_header", "csv.trim_space", "compression", "columns_from_path", "auto_detect_sample_files",
        "auto_detect_sample_rows", "auto_detect_types", "fill_mismatch_column_with", "list_files_only",
        "list_recursively", "schema",
    ]

    /// - Throws: `.analysis` naming the property and what it takes.
    init(_ raw: [String: String], fileSystem: any FileSystem, timeZone: SessionTimeZone) throws {
        var values = [String: String]()
        for (key, value) in raw { values[key.lowercased()] = value }
        properties = values
        self.timeZone = timeZone
        for key in values.keys where !Self.known.contains(key) && !S3Settings.propertyNames.contains(key) {
            throw SQLError(
                .analysis, "Unknown property '\(key)' of FILES(): use path, format, csv.* or aws.s3.* properties")
        }
        guard let path = values["path"], !path.isEmpty else {
            throw SQLError(.analysis, "FILES() needs \"path\" = \"file:///… or s3://bucket/…\"")
        }
        paths = path.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        func flag(_ key: String, _ value: Bool) throws -> Bool {
            guard let text = values[key] else { return value }
            guard let flag = Bool(text.lowercased()) else {
                throw SQLError(.analysis, "Invalid \(key): '\(text)': write true or false")
            }
            return flag
        }
        func count(_ key: String, _ value: Int) throws -> Int {
            guard let text = values[key] else { return value }
            guard let n = Int(text), n >= 0 else {
                throw SQLError(.analysis, "Invalid \(key): '\(text)': write a whole number ≥ 0")
            }
            return n
        }
        listFilesOnly = try flag("list_files_only", false)
        listRecursively = try flag("list_recursively", false)
        source = FileSource(fileSystem: fileSystem, properties: values)
        if paths.contains(where: S3Location.isS3) {
            do { _ = try S3Settings(properties: values) } catch { throw SQLError(.analysis, error.message) }
        }
        let formatName = values["format"]?.lowercased()
        switch formatName {
        case "parquet": format = .parquet
        case "csv": format = .csv
        case nil where listFilesOnly: format = .csv
        case nil:
            throw SQLError(.analysis, "FILES() needs \"format\": parquet or csv")
        case "json":
            throw SQLError(
                .analysis,
                "Unsupported format 'json' of FILES(): FILES() reads parquet and csv files (load JSON with Broker Load or Stream Load)"
            )
        case "orc", "avro":
            throw SQLError(
                .analysis, "Unsupported format '\(formatName!)' of FILES(): convert the files to Parquet or CSV")
        default:
            throw SQLError(.analysis, "Unknown format '\(values["format"]!)' of FILES(): use parquet or csv")
        }
        if values["schema"] != nil {
            throw SQLError(.analysis, "The \"schema\" property of FILES() is not supported: let the schema be inferred")
        }
        if let text = values["columns_from_path"] {
            let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
                throw SQLError(
                    .analysis, "Invalid columns_from_path: '\(text)': write the directory names, comma-separated")
            }
            pathColumns = PathColumns(names)
        }
        if let name = values["compression"], !["", "none", "uncompressed"].contains(name.lowercased()) {
            do { _ = try streamDecompressor(named: name) } catch { throw SQLError(.analysis, error.message) }
            compression = name
        }
        do {
            if let text = values["csv.column_separator"] {
                csv.columnSeparator = try LoadOptions.separator(text, name: "csv.column_separator")
            }
            if let text = values["csv.row_delimiter"] {
                csv.rowDelimiter = try LoadOptions.separator(text, name: "csv.row_delimiter")
            }
        } catch {
            throw SQLError(.analysis, error.message)
        }
        for key in ["csv.enclose", "csv.escape"] {
            guard let text = values[key] else { continue }
            guard text.utf8.count == 1 else {
                throw SQLError(.analysis, "Invalid \(key): '\(text)': write one character")
            }
            if key == "csv.enclose" { csv.enclose = text.utf8.first } else { csv.escape = text.utf8.first }
        }
        csv.skipHeader = try count("csv.skip_header", 0)
        csv.trimSpace = try flag("csv.trim_space", false)
        sampleFiles = try count("auto_detect_sample_files", 2)
        sampleRows = max(1, try count("auto_detect_sample_rows", 500))
        detectTypes = try flag("auto_detect_types", true)
        switch values["fill_mismatch_column_with"]?.lowercased() {
        case nil, "none": fillMismatchWithNull = false
        case "null": fillMismatchWithNull = true
        default:
            throw SQLError(
                .analysis,
                "Invalid fill_mismatch_column_with: '\(values["fill_mismatch_column_with"]!)': use none or null")
        }
    }

    /// The files the paths name.
    func files() throws -> [ListedFile] {
        do { return try source.list(paths) } catch { throw SQLError(.filesNotFound, error.message) }
    }

    // MARK: Schema

    /// The inferred columns (name, type), from the sampled files: the first and the last (or
    /// `auto_detect_sample_files` of them).
    func schema(of files: [ListedFile]) throws -> [(name: String, type: ColumnType)] {
        var sampled = files
        if files.count > max(1, sampleFiles) {
            sampled = sampleFiles <= 1 ? [files[0]] : Array(files.prefix(sampleFiles - 1)) + [files.last!]
        }
        var columns = [(name: String, type: ColumnType)]()
        for file in sampled {
            let fileColumns = try format == .parquet ? parquetSchema(file) : csvSchema(file)
            for (position, column) in fileColumns.enumerated() {
                // Parquet unions by name, CSV by position.
                let index =
                    format == .parquet
                    ? columns.firstIndex { $0.name.lowercased() == column.name.lowercased() }
                    : (position < columns.count ? position : nil)
                if let index {
                    columns[index].type = Self.union(columns[index].type, column.type)
                } else {
                    columns.append(column)
                }
            }
        }
        for name in pathColumns.names {
            if columns.contains(where: { $0.name.lowercased() == name.lowercased() }) {
                throw SQLError(
                    .analysis,
                    "Column '\(name)' of columns_from_path is also a column of the files: drop it from columns_from_path"
                )
            }
            columns.append((name, Self.inferredString))
        }
        return columns
    }

    /// The `columns_from_path` values of `file` (nil: NULL).
    func pathValues(_ file: ListedFile) throws -> [String?] {
        do { return try pathColumns.values(in: file.path) } catch { throw SQLError(.analysis, error.message) }
    }

    private func parquetSchema(_ file: ListedFile) throws -> [(name: String, type: ColumnType)] {
        let parquet = try openParquet(file)
        return parquet.metadata.columns.map { ($0.name, detectTypes ? Self.columnType(of: $0) : Self.inferredString) }
    }

    func openParquet(_ file: ListedFile) throws -> ParquetFile {
        do {
            return try ParquetFile(source: source, file: file)
        } catch let error as ParquetError {
            throw SQLError(.analysis, error.message)
        } catch let error as FileSourceError {
            throw SQLError(.analysis, error.message)
        }
    }

    /// The SQL type of a Parquet column.
    static func columnType(of column: ParquetColumn) -> ColumnType {
        switch (column.physical, column.logical) {
        case (_, .decimal(let p, let s)) where p > 0 && p <= 38: return .decimal(precision: p, scale: s)
        case (_, .date): return .date
        case (_, .timestamp), (.int96, _): return .datetime
        case (.boolean, _): return .boolean
        case (.int32, .integer(8, true)): return .tinyint
        case (.int32, .integer(16, true)), (.int32, .integer(8, false)): return .smallint
        case (.int32, .integer(16, false)): return .int
        case (.int32, .integer(32, false)): return .bigint
        case (.int64, .integer(64, false)): return .largeint
        case (.int32, _): return .int
        case (.int64, _): return .bigint
        case (.float, _): return .float
        case (.double, _): return .double
        default: return inferredString
        }
    }

    /// StarRocks' union of two inferred types: integers widen, integer and float give
    /// DECIMAL(38, 9), anything else irreconcilable is a string.
    static func union(_ a: ColumnType, _ b: ColumnType) -> ColumnType {
        if a == b { return a }
        let integers: [ColumnType] = [.boolean, .tinyint, .smallint, .int, .bigint, .largeint]
        if let i = integers.firstIndex(of: a), let j = integers.firstIndex(of: b) { return integers[max(i, j)] }
        let numeric: (ColumnType) -> Bool = { integers.contains($0) || $0 == .float || $0 == .double || $0.isDecimal }
        if numeric(a) && numeric(b) {
            if (a == .float || a == .double) && (b == .float || b == .double) { return .double }
            return .decimal(precision: 38, scale: 9)
        }
        return inferredString
    }

    /// CSV columns `$1`, `$2`, … typed from the file's first rows.
    private func csvSchema(_ file: ListedFile) throws -> [(name: String, type: ColumnType)] {
        let rows = try sampleCSV(file)
        let width = rows.map(\.count).max() ?? 0
        return (0..<width).map { k in
            let values = rows.compactMap { k < $0.count ? $0[k] : nil }
            return ("$\(k + 1)", detectTypes ? Self.detect(values) : Self.inferredString)
        }
    }

    /// The first `sampleRows` rows of a CSV file as field texts (nil for `\N`).
    private func sampleCSV(_ file: ListedFile) throws -> [[String?]] {
        var scanner = CSVScanner(format: csv)
        var rows = [[String?]]()
        var offset = 0
        let chunk = 1 << 20
        func take(_ buffer: UnsafeRawBufferPointer, _ batch: CSVRows) {
            batch.unescaped.withUnsafeBytes { unescaped in
                for r in 0..<batch.count where rows.count < sampleRows {
                    rows.append(
                        (0..<batch.fieldCount(r)).map { k in
                            let field = batch.field(r, k, in: buffer, unescaped: unescaped)
                            return field.count == 2 && field[0] == 92 && field[1] == 78
                                ? nil : String(decoding: field, as: UTF8.self)
                        })
                }
            }
        }
        let decompressor = try self.decompressor(for: file)
        while rows.count < sampleRows && offset < file.size {
            let raw = try read(file, offset: offset, length: chunk)
            guard !raw.isEmpty else { break }
            offset += raw.count
            try plain(raw, decompressor).withUnsafeBytes { scanner.consume($0, emit: take) }
        }
        if rows.count < sampleRows { scanner.finish(emit: take) }
        return rows
    }

    /// The decompressor of a CSV file: `compression`, else its extension; nil for plain files.
    func decompressor(for file: ListedFile) throws -> (any StreamDecompressor)? {
        do {
            return try FileFeed.decompressor(for: file.path, compression: compression)
        } catch {
            throw SQLError(.analysis, error.message)
        }
    }

    /// `bytes` decompressed (as they are without a decompressor).
    func plain(_ bytes: [UInt8], _ decompressor: (any StreamDecompressor)?) throws -> [UInt8] {
        guard let decompressor else { return bytes }
        var out = [UInt8]()
        do {
            try bytes.withUnsafeBytes { input in
                try decompressor.decompress(input) { out.append(contentsOf: $0) }
            }
        } catch let error as LoadError {
            throw SQLError(.analysis, error.message)
        }
        return out
    }

    func read(_ file: ListedFile, offset: Int, length: Int) throws -> [UInt8] {
        do { return try source.read(file, offset: offset, length: length) } catch {
            throw SQLError(.analysis, error.message)
        }
    }

    /// The narrowest type every sampled value parses as: BIGINT, DOUBLE, DATE, DATETIME,
    /// BOOLEAN, else a string.
    static func detect(_ values: [String?]) -> ColumnType {
        let present = values.compactMap { $0 }.filter { !$0.isEmpty }
        guard !present.isEmpty else { return inferredString }
        if present.allSatisfy({ Int64($0) != nil }) { return .bigint }
        if present.allSatisfy({ Double($0) != nil && $0.contains(where: \.isNumber) && !$0.lowercased().contains("n") })
        {
            return .double
        }
        if present.allSatisfy({ $0.count == 10 && CivilTime.parseDate($0) != nil }) { return .date }
        if present.allSatisfy({ $0.count >= 19 && CivilTime.parseDateTime($0) != nil }) { return .datetime }
        if present.allSatisfy({ ["true", "false"].contains($0.lowercased()) }) { return .boolean }
        return inferredString
    }
}

extension ColumnType {
    fileprivate var isDecimal: Bool { if case .decimal = self { true } else { false } }
}
