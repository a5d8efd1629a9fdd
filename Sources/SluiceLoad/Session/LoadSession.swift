import Dispatch
import SluiceExpr
package import SluiceFormat
import SluiceIO
package import SluiceStorage
import Synchronization

/// One load into one table: bytes in, a ``PreparedWrite`` out.
///
/// ``consume(_:)`` parses as data arrives and writes through a ``TableWriter`` whose memory is
/// bounded, so a body of any size streams through. Not thread-safe: one owner feeds it.
package final class LoadSession: @unchecked Sendable {
    // @unchecked: one owner thread calls consume/finish/abort; conversion and writing run on the
    // serial `converter` queue; what both touch (counters, error log, first error) sits in `shared`.
    package let table: TableMeta
    package let options: LoadOptions
    package let mapping: ColumnMapping
    private let shared: Mutex<Shared>
    private var receivedBytes = 0
    /// Conversion and writing run here, at most two batches behind parsing, on another core.
    private let converter = BackgroundWork.serialQueue(label: "sluice.load-convert")
    private let converterSlots = DispatchSemaphore(value: 2)
    private let converterGroup = DispatchGroup()

    struct Shared {
        var counters = LoadCounters()
        var errorLog: ErrorLog
        var failure: (any Error)?
    }

    /// Counters so far (bytes as received; rows as converted).
    package var counters: LoadCounters {
        var c = shared.withLock { $0.counters }
        c.receivedBytes = receivedBytes
        return c
    }

    package var errorLog: ErrorLog { shared.withLock { $0.errorLog } }
    private let engine: StorageEngine
    private let writer: TableWriter
    private var scanner: CSVScanner
    private var json: JSONRowReader?
    private var avro: AvroRowReader?
    private let context: EvaluationContext
    private var finished = false
    /// Which source fields the data carries and which the file path (`COLUMNS FROM PATH`).
    private var pathFields: PathFields
    private var fileFields: [Int] { pathFields.fileFields }

    /// Binds `columns` and `where` of `options` for `table` and checks the table model's rules,
    /// without opening anything: a statement that schedules a load checks it when submitted.
    /// - Throws: ``LoadError`` `.analysis` for a bad `columns`/`where` or a rule it breaks.
    package static func check(table: TableMeta, options: LoadOptions) throws {
        let mapping = try LargeStack.run {
            try ColumnMapping(
                table: table, columns: options.columns, filter: options.filter, nowMicros: options.nowMicros,
                timeZone: options.timeZone,
                operationField: options.format == .json && (options.jsonPaths == nil || options.debeziumEnvelope),
                partialUpdate: options.partialUpdate && table.keysType == .primary)
        }
        _ = try TableModelRules.check(
            table: table, options: options, named: mapping.named,
            unmatched: mapping.sourceNames.filter { table.schema.index(of: $0) == nil })
    }

    /// Binds the mapping and opens a writer.
    /// - Throws: ``LoadError`` `.analysis` for a bad `columns`/`where`, `.invalidArgument` for
    ///   unknown partitions.
    package init(engine: StorageEngine, table: TableMeta, options: LoadOptions) throws {
        self.engine = engine
        self.table = table
        self.options = options
        // Deep `columns` / `where` expressions recurse in parsing and binding: a large stack.
        self.mapping = try LargeStack.run {
            try ColumnMapping(
                table: table, columns: options.columns, filter: options.filter, nowMicros: options.nowMicros,
                timeZone: options.timeZone,
                operationField: options.format == .json && (options.jsonPaths == nil || options.debeziumEnvelope),
                partialUpdate: options.partialUpdate && table.keysType == .primary)
        }
        let model = try TableModelRules.check(
            table: table, options: options, named: mapping.named,
            unmatched: mapping.sourceNames.filter { table.schema.index(of: $0) == nil })
        self.context = EvaluationContext(timeZone: options.timeZone, nowMicros: options.nowMicros)
        self.pathFields = try PathFields(sourceNames: mapping.sourceNames, columnsFromPath: options.columnsFromPath)
        var log = ErrorLog(limit: options.errorLogLimit)
        log.recordLimit = options.rejectedRecordLimit
        log.describeOrigin = options.describeOrigin
        log.binaryRows = options.format == .avro
        self.shared = Mutex(Shared(errorLog: log))
        do {
            var write = WriteOptions(
                partitions: options.partitions, memoryLimit: options.memoryLimit / max(1, options.flushDepth),
                partialColumns: model.partialColumns, mergeCondition: model.mergeCondition)
            write.flushDepth = options.flushDepth
            self.writer = try engine.makeWriter(table: table, options: write)
        } catch let error as StorageError {
            throw LoadError(.invalidArgument, error.message)
        }
        self.scanner = CSVScanner(format: options.csvFormat)
        let fieldTypes = fileFields.map { mapping.directTargets[$0].map { table.schema.columns[$0].type } }
        let fieldNames = fileFields.map { mapping.sourceNames[$0] }
        switch options.format {
        case .csv: break
        case .json:
            self.json = try JSONRowReader(options: options, fieldNames: fieldNames, fieldTypes: fieldTypes)
        case .avro:
            guard let source = options.avro else {
                throw LoadError(.invalidArgument, "confluent.schema.registry.url is a required property")
            }
            self.avro = try AvroRowReader(
                source: source, options: options, fieldNames: fieldNames, fieldTypes: fieldTypes)
        }
        try setPathValues(options.columnsFromPath.map { _ in nil })
    }

    /// Parses and writes a chunk of the body.
    package func consume(_ chunk: UnsafeRawBufferPointer) throws {
        precondition(!finished, "consume after finish")
        BackgroundWork.enter()
        try rethrowConverterFailure()
        receivedBytes += chunk.count
        if avro != nil {
            defer { drainAvroRejects() }
            try avro!.consume(chunk) { try self.process(fields: $0, failures: $1, raws: $2) }
        } else if json != nil {
            if json!.canParseInParallel {
                try json!.consumeInParallel(chunk) { [self] in try process(fields: $0, failures: $1, raws: $2) }
            } else {
                try json!.consume(chunk) { try self.process(fields: $0, failures: $1, raws: $2) }
            }
            drainJSONRejects()
        } else if scanner.canScanInParallel {
            // Batches of the second half wait until the first half's are queued, so rows reach the
            // writer in input order (sorted input stays sorted: no sort pass when flushing).
            let secondHalf = Mutex<[@Sendable () throws -> Void]>([])
            try scanner.consumeInParallel(chunk) { [self] half, buffer, rows in
                let work = prepare(buffer, rows)
                if half == 0 { try enqueue(work) } else { secondHalf.withLock { $0.append(work) } }
            }
            for work in secondHalf.withLock({ $0 }) { try enqueue(work) }
        } else {
            try scanner.consume(chunk) { buffer, rows in try self.process(buffer, rows) }
        }
        if scanner.carriedBytes > options.maxCSVRowBytes {
            throw LoadError(
                .invalidArgument,
                "A CSV row runs past \(options.maxCSVRowBytes) bytes without a row delimiter: check row_delimiter "
                    + "(and enclose / escape, which can hide delimiters) matches the data")
        }
    }

    /// The path values of the next body (``LoadOptions/columnsFromPath`` order, nil for NULL).
    /// - Throws: ``LoadError`` `.invalidArgument` for a count that does not match.
    package func setPathValues(_ values: [String?]) throws {
        try pathFields.set(values, types: sourceFieldTypes)
    }

    /// Ends one request body of a load fed by several requests (transaction `load` calls, the
    /// files of a file load): a last row without a row delimiter is a row, and the next body
    /// starts a new one, with its own header lines to skip.
    package func endBody() throws {
        precondition(!finished, "endBody after finish")
        if avro != nil {
            defer { drainAvroRejects() }
            try avro!.finish { try self.process(fields: $0, failures: $1, raws: $2) }
        } else if json != nil {
            try json!.finish { try self.process(fields: $0, failures: $1, raws: $2) }
            drainJSONRejects()
        } else {
            try scanner.finish { buffer, rows in try self.process(buffer, rows) }
        }
    }

    /// Flushes the last row and the writer; applies the filter-ratio rule.
    /// - Throws: `.tooManyFilteredRows` (the caller keeps ``errorLog``), `.storage`.
    package func finish() throws -> PreparedWrite {
        if avro != nil {
            defer { drainAvroRejects() }
            try avro!.finish { try self.process(fields: $0, failures: $1, raws: $2) }
        } else if json != nil {
            try json!.finish { try self.process(fields: $0, failures: $1, raws: $2) }
            drainJSONRejects()
        } else {
            try scanner.finish { buffer, rows in try self.process(buffer, rows) }
        }
        finished = true
        converterGroup.wait()
        do {
            try rethrowConverterFailure()
        } catch {
            writer.abort()
            throw error
        }
        if counters.exceeds(maxFilterRatio: options.maxFilterRatio) {
            writer.abort()
            throw LoadError(
                .tooManyFilteredRows, counters.tooManyFilteredRowsMessage(maxFilterRatio: options.maxFilterRatio))
        }
        do {
            return try writer.finish()
        } catch {
            writer.abort()
            throw LoadError(.storage, "\(error)")
        }
    }

    /// Removes everything written so far.
    package func abort() {
        finished = true
        converterGroup.wait()
        writer.abort()
    }

    private func rethrowConverterFailure() throws {
        if let failure = shared.withLock({ $0.failure }) { throw failure }
    }

    /// Runs `work` on the converter queue (blocking while two batches are already queued).
    private func enqueue(_ work: @escaping @Sendable () throws -> Void) throws {
        try rethrowConverterFailure()
        converterSlots.wait()
        converterGroup.enter()
        converter.async { [self] in
            BackgroundWork.enter()
            defer {
                converterSlots.signal()
                converterGroup.leave()
            }
            guard shared.withLock({ $0.failure == nil }) else { return }
            do {
                try work()
            } catch {
                shared.withLock { if $0.failure == nil { $0.failure = error } }
            }
        }
    }

    // MARK: CSV rows → source columns

    private func process(_ buffer: UnsafeRawBufferPointer, _ rows: CSVRows) throws {
        try enqueue(prepare(buffer, rows))
    }

    /// Splits a batch's fields into source columns (the calling thread's work) and returns the
    /// rest — conversion and writing — for the converter queue.
    private func prepare(_ buffer: UnsafeRawBufferPointer, _ rows: CSVRows) -> @Sendable () throws -> Void {
        let expected = fileFields.count
        let direct = fileFields.map { mapping.directTargets[$0] }
        // Fields read by expressions stay text; fields mapped 1:1 to a column are parsed into its type.
        var sources = (0..<expected).map { j in
            ColumnVector(type: direct[j].map { table.schema.columns[$0].type } ?? .string, capacity: rows.count)
        }
        var failures = [ParseFailures](repeating: [], count: expected)
        var raws = [Range<Int>]()
        raws.reserveCapacity(rows.count)
        var mismatched = [(raw: Range<Int>, count: Int)]()
        rows.unescaped.withUnsafeBytes { unescaped in
            Self.fill(
                buffer, unescaped, rows, expected: expected, direct: direct, sources: &sources, failures: &failures,
                raws: &raws, mismatched: &mismatched)
        }
        let total = rows.count
        let mismatchReasons = mismatched.map {
            (
                "Value count does not match column count. Expect \(expected), but got \($0.count). Column delimiter: \(options.columnSeparator.first ?? 0),Row delimiter: \(options.rowDelimiter.first ?? 0)",
                Array(buffer[$0.raw])
            )
        }
        (sources, failures) = pathFields.expand(sources, failures, rows: raws.count)
        let parsed = parsedTargets(sources, failures)
        // The chunk's memory is gone once this returns: keep this batch's raw text for error logs.
        let base = raws.first?.lowerBound ?? 0
        let rawText = Array(buffer[base..<(raws.last?.upperBound ?? base)])
        let localRaws = raws.map { ($0.lowerBound - base)..<($0.upperBound - base) }
        let readySources = sources
        return { [self] in
            shared.withLock { $0.counters.totalRows += total }
            for (reason, raw) in mismatchReasons { reject(reason, raw) }
            try convertAndWrite(readySources, rows: localRaws.count, parsed: parsed) { Array(rawText[localRaws[$0]]) }
        }
    }

    /// The per-field loop of the CSV path, written as a static function over `inout` locals so the
    /// compiler checks exclusivity statically (no per-access runtime checks in the hot loop).
    private static func fill(
        _ buffer: UnsafeRawBufferPointer, _ unescaped: UnsafeRawBufferPointer, _ rows: CSVRows, expected: Int,
        direct: [Int?],
        sources: inout [ColumnVector], failures: inout [ParseFailures], raws: inout [Range<Int>],
        mismatched: inout [(raw: Range<Int>, count: Int)]
    ) {
        rows.fieldStarts.withUnsafeBufferPointer { starts in
            rows.fieldEnds.withUnsafeBufferPointer { ends in
                // Text columns get their whole batch's bytes reserved up front (no regrowth copies).
                for j in 0..<expected where sources[j].type.physical == .bytes {
                    var total = 0
                    for r in 0..<rows.count where rows.fieldCount(r) == expected {
                        let s = starts[rows.rowFields[r] + j]
                        total += ends[rows.rowFields[r] + j] - (s < 0 ? -s - 1 : s)
                    }
                    sources[j].bytes.reserveCapacity(total)
                }
                // Columns through a buffer pointer: no uniqueness check of `sources` itself per field.
                sources.withUnsafeMutableBufferPointer { sources in
                    for r in 0..<rows.count {
                        let count = rows.fieldCount(r)
                        let raw = rows.rowStarts[r]..<rows.rowEnds[r]
                        guard count == expected else {
                            mismatched.append((raw, count))
                            continue
                        }
                        let row = raws.count
                        raws.append(raw)
                        let first = rows.rowFields[r]
                        for j in 0..<expected {
                            let s = starts[first + j], e = ends[first + j]
                            let field =
                                s < 0
                                ? UnsafeRawBufferPointer(rebasing: unescaped[(-s - 1)..<e])
                                : UnsafeRawBufferPointer(rebasing: buffer[s..<e])
                            if field.count == 2, field[0] == 92, field[1] == 78 {
                                sources[j].appendNull()
                            } else if direct[j] != nil {
                                if !FieldParser.append(field, to: &sources[j]) {
                                    failures[j].append((row, String(decoding: field, as: UTF8.self)))
                                }
                            } else {
                                sources[j].appendBytes(field)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The source fields this load reads, in order: the `columns` names, else the table's
    /// columns. Columnar files match them by name.
    package var sourceFieldNames: [String] { mapping.sourceNames }

    /// The type each source field arrives in: its table column's when the field feeds that column
    /// directly, else nil (text, for expressions).
    package var sourceFieldTypes: [ColumnType?] {
        mapping.directTargets.map { $0.map { table.schema.columns[$0].type } }
    }

    /// The source fields the data carries (all of ``sourceFieldNames`` but the path's), with
    /// their arrival types: what a columnar file is asked for.
    package var fileFieldNames: [String] { fileFields.map { mapping.sourceNames[$0] } }
    package var fileFieldTypes: [ColumnType?] { fileFields.map { sourceFieldTypes[$0] } }

    /// Adds `rows` rows given as source columns (columnar files): column `j` holds
    /// ``fileFieldNames``[j] in ``fileFieldTypes``[j] (text where that is nil), `failures` the
    /// values that did not convert; `describe` renders a row for the error log.
    package func consume(
        columns: [ColumnVector], failures: [ParseFailures], rows: Int, bytes: Int,
        describe: @escaping @Sendable (Int) -> [UInt8]
    ) throws {
        precondition(!finished, "consume after finish")
        precondition(columns.count == fileFields.count && columns.allSatisfy { $0.count == rows })
        BackgroundWork.enter()
        try rethrowConverterFailure()
        receivedBytes += bytes
        let (columns, failures) = pathFields.expand(columns, failures, rows: rows)
        let parsed = parsedTargets(columns, failures)
        try enqueue { [self] in
            shared.withLock { $0.counters.totalRows += rows }
            try convertAndWrite(columns, rows: rows, parsed: parsed, rawRow: describe)
        }
    }

    /// JSON rows arrive as source columns already, fields that feed a column directly parsed
    /// into its type (see ``JSONRowReader``).
    private func process(fields: [ColumnVector], failures: [ParseFailures], raws: RawRows) throws {
        let (fields, failures) = pathFields.expand(fields, failures, rows: raws.count)
        let parsed = parsedTargets(fields, failures)
        try enqueue { [self] in
            shared.withLock { $0.counters.totalRows += raws.count }
            try convertAndWrite(fields, rows: raws.count, parsed: parsed) { raws[$0] }
        }
    }

    private func drainJSONRejects() {
        guard let rejects = json?.rejects, !rejects.isEmpty else { return }
        json!.rejects.removeAll()
        enqueueRejects(rejects)
    }

    private func drainAvroRejects() {
        guard let rejects = avro?.rejects, !rejects.isEmpty else { return }
        avro!.rejects.removeAll()
        enqueueRejects(rejects)
    }

    /// Rows the reader could not make into rows: counted and logged in order with the rest.
    private func enqueueRejects(_ rejects: [(reason: String, raw: [UInt8])]) {
        try? enqueue { [self] in
            for (reason, raw) in rejects {
                shared.withLock { $0.counters.totalRows += 1 }
                reject(reason, raw)
            }
        }
    }

    /// The source columns that feed a table column directly (already in its type), by table
    /// column, with the values that failed to convert.
    private func parsedTargets(_ sources: [ColumnVector], _ failures: [ParseFailures]) -> [Int: (
        ColumnVector, ParseFailures
    )] {
        var parsed = [Int: (ColumnVector, ParseFailures)]()
        for (j, target) in mapping.directTargets.enumerated() {
            if let c = target { parsed[c] = (sources[j], failures[j]) }
        }
        return parsed
    }

    /// Counts a filtered row and logs it (converter thread).
    private func reject(_ reason: String, _ raw: some Collection<UInt8>) {
        shared.withLock { s in
            s.counters.filteredRows += 1
            s.errorLog.record(reason: reason, row: raw)
        }
    }

    // MARK: Source columns → table columns → writer

    /// Each row's `__op` (PRIMARY KEY tables), or nil when every row upserts.
    private func rowOperations(_ sources: [ColumnVector], rows: Int) throws -> [Result<UInt8, OperationError>]? {
        switch mapping.operation {
        case nil: return nil
        case .constant(let op)?: return op == 0 ? nil : mapping.operation!.operations(nil, rows: rows)
        case .field(let j, _)?: return mapping.operation!.operations(sources[j], rows: rows)
        case .expression(let e)?:
            let values = try Evaluator.evaluate(e, batch: sources, rows: rows, context: context)
            return mapping.operation!.operations(values, rows: rows)
        }
    }

    /// - Parameter rawRow: the original text of a row, for the error log (only called on rejects).
    /// - Parameter parsed: table columns already converted by the CSV fast path, with the rows
    ///   whose text failed to convert.
    private func convertAndWrite(
        _ sources: [ColumnVector], rows: Int, parsed: [Int: (ColumnVector, ParseFailures)],
        rawRow: (Int) -> [UInt8]
    ) throws {
        guard rows > 0 else { return }
        var valid = [Bool](repeating: true, count: rows)
        var reasons = [Int: String]()
        var columns = [ColumnVector]()
        columns.reserveCapacity(table.schema.columns.count)
        for (c, target) in mapping.targets.enumerated() {
            let column = table.schema.columns[c]
            var failures: [Int]? = []
            let produced: ColumnVector
            let input: ColumnVector?
            switch target {
            case .source where parsed[c] != nil:
                let (column_, parseFailures) = parsed[c]!
                produced = column_
                input = nil
                if options.strictMode {
                    for (r, text) in parseFailures where valid[r] {
                        valid[r] = false
                        reasons[r] =
                            "The value '\(text)' of column '\(column.name)' cannot be converted to \(column.type.sqlName)"
                    }
                }
            case .source(let j):
                input = sources[j]
                produced = CastKernel.cast(sources[j], to: column.type, failures: &failures)
            case .expression(let e):
                let value = try Evaluator.evaluate(e, batch: sources, rows: rows, context: context)
                input = value
                produced = CastKernel.cast(value, to: column.type, failures: &failures)
            case .defaultValue(let v):
                input = nil
                produced = ColumnVector(type: column.type, repeating: v, count: rows)
            }
            if options.strictMode, let failures, let input {
                for r in failures where valid[r] {
                    valid[r] = false
                    let text = input.value(at: r).text(as: input.type) ?? "NULL"
                    reasons[r] =
                        "The value '\(text)' of column '\(column.name)' cannot be converted to \(column.type.sqlName)"
                }
            }
            columns.append(produced)
        }
        let operations = try rowOperations(sources, rows: rows)
        if let operations {
            for r in 0..<rows where valid[r] {
                if case .failure(let error) = operations[r] {
                    valid[r] = false
                    reasons[r] = error.reason
                }
            }
        }
        var candidates = (0..<rows).filter { valid[$0] }
        for r in 0..<rows where !valid[r] { reject(reasons[r] ?? "invalid value", rawRow(r)) }
        if let filter = mapping.filter, !candidates.isEmpty {
            let batch = candidates.count == rows ? columns : columns.map { $0.gather(candidates) }
            let selected = try Evaluator.select(filter, batch: batch, rows: candidates.count, context: context)
            shared.withLock { $0.counters.unselectedRows += candidates.count - selected.count }
            candidates = selected.map { candidates[$0] }
        }
        guard !candidates.isEmpty else { return }
        var final = candidates.count == rows ? columns : columns.map { $0.gather(candidates) }
        if options.negative {
            // `negative`: a load that undoes an earlier one (every value column is SUM, checked).
            for c in final.indices where table.schema.columns[c].aggregate == .sum { final[c].negate() }
        }
        let rejected: [RejectedRow]
        do {
            let ops = operations.map { ops in candidates.map { (try? ops[$0].get()) ?? 0 } }
            rejected = try writer.append(final, ops: ops)
        } catch let error as StorageError {
            throw LoadError(.storage, error.message)
        }
        for row in rejected { reject(row.reason, rawRow(candidates[row.row])) }
    }
}
