import SluiceFormat
import SluiceLoad
import SluiceStorage
import SluiceTesting
import SluiceTxn
import Testing

@Suite struct LoadSessionTests {
    static func engine() throws -> StorageEngine {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        try engine.createDatabase("db")
        try engine.createTable(
            database: "db",
            TableDefinition(
                name: "t",
                columns: [
                    ColumnSchema(id: 0, name: "id", type: .int, isNullable: false),
                    ColumnSchema(id: 0, name: "name", type: .varchar(length: 5)),
                    ColumnSchema(id: 0, name: "price", type: .decimal(precision: 8, scale: 2)),
                    ColumnSchema(id: 0, name: "note", type: .string, defaultValue: "none"),
                ],
                keyColumns: ["id"], distribution: Distribution(columns: ["id"], buckets: 2)))
        return engine
    }

    static func load(_ engine: StorageEngine, _ body: String, _ configure: (inout LoadOptions) -> Void) throws -> (
        LoadSession, PreparedWrite?
    ) {
        var options = LoadOptions()
        options.columnSeparator = [44]
        configure(&options)
        let session = try LoadSession(
            engine: engine, table: try engine.table(database: "db", name: "t"), options: options)
        try Array(body.utf8).withUnsafeBytes { try session.consume($0) }
        do {
            return (session, try session.finish())
        } catch let error as LoadError where error.code == .tooManyFilteredRows {
            return (session, nil)
        }
    }

    static func rows(_ engine: StorageEngine) throws -> [[String?]] {
        let table = try engine.table(database: "db", name: "t")
        let scan = engine.scan(table, columns: [0, 1, 2, 3])
        var rows = [[String?]]()
        while let batch = try scan.next() {
            for r in 0..<batch[0].count { rows.append(batch.map { $0.value(at: r).text(as: $0.type) }) }
        }
        return rows.sorted { Int($0[0]!)! < Int($1[0]!)! }
    }

    /// D6's class for CSV: a body without row delimiters (or with an unclosed enclosure) fails
    /// once the carried row passes the limit, instead of buffering the rest of the body.
    @Test func anEndlessCSVRowFailsInBoundedMemory() throws {
        let engine = try Self.engine()
        for (body, enclose) in [
            (String(repeating: "1,abc,", count: 400), nil),
            ("1,\"" + String(repeating: "x\n", count: 1_200), UInt8(34)),
        ] {
            var options = LoadOptions()
            options.columnSeparator = [44]
            options.enclose = enclose
            options.maxCSVRowBytes = 1_024
            let session = try LoadSession(
                engine: engine, table: try engine.table(database: "db", name: "t"), options: options)
            let error = #expect(throws: LoadError.self) {
                for chunk in Array(body.utf8).chunks(of: 256) { try chunk.withUnsafeBytes { try session.consume($0) } }
            }
            #expect(error?.code == .invalidArgument && error?.message.contains("without a row delimiter") == true)
            session.abort()
        }
    }

    @Test func positionalMappingDefaultsAndNulls() throws {
        let engine = try Self.engine()
        let (session, write) = try Self.load(engine, "1,ab,1.50,x\n2,\\N,2,\\N\n") { _ in }
        try engine.commit(write!, label: "a")
        #expect(session.counters.loadedRows == 2)
        #expect(try Self.rows(engine) == [["1", "ab", "1.50", "x"], ["2", nil, "2.00", nil]])
    }

    @Test func columnsWithExpressionsAndWhere() throws {
        let engine = try Self.engine()
        let (session, write) = try Self.load(engine, "1,ab,3\n2,cd,4\n3,ef,5\n") {
            $0.columns = "id, tmp, qty, name = upper(tmp), price = qty * 1.5"
            $0.filter = "id != 2"
        }
        try engine.commit(write!, label: "b")
        #expect(session.counters.unselectedRows == 1)
        #expect(session.counters.totalRows == 3)
        #expect(try Self.rows(engine) == [["1", "AB", "4.50", "none"], ["3", "EF", "7.50", "none"]])
    }

    @Test func strictModeFiltersBadValuesAndTheRatioDecides() throws {
        let engine = try Self.engine()
        let body = "1,ok,1\n2,toolongname,2\n3,ok,abc\nx,ok,1\n5,ok\n"
        let (lenient, _) = try Self.load(engine, body) {
            $0.maxFilterRatio = 1
            $0.columns = "id, name, price"
        }
        // Non-strict: too long and bad decimal become NULL; "x" for NOT NULL id and the short row are filtered.
        #expect(lenient.counters.filteredRows == 2)
        let (strict, failed) = try Self.load(engine, body) {
            $0.strictMode = true
            $0.columns = "id, name, price"
        }
        #expect(failed == nil)
        #expect(strict.counters.filteredRows == 4)
        #expect(strict.errorLog.entries.count == 4)
        #expect(
            strict.errorLog.entries.contains {
                $0.contains("Value count does not match column count. Expect 3, but got 2")
            })
        #expect(strict.errorLog.entries.contains { $0.contains("'toolongname'") && $0.contains("'name'") })
    }

    /// `load.total_memory_limit_bytes`: loads get their own limit while the budget lasts, then
    /// what is left, never under the floor; an ended load gives its grant back.
    @Test func theMemoryBudgetIsSharedByRunningLoads() throws {
        let budget = LoadMemoryBudget(total: 1200 << 20)
        // The full threshold while a quarter of what is left pays for its footprint, then less,
        // then the floor; each is charged `footprint` times its threshold.
        let grants = (0..<8).compactMap { _ in budget.reserve(48 << 20) }
        #expect(grants.count == 8)
        #expect(grants.prefix(4).allSatisfy { $0 == 48 << 20 })
        #expect(grants[4] < 48 << 20)
        #expect(zip(grants, grants.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(grants.last! < 48 << 20 && grants.allSatisfy { $0 >= LoadMemoryBudget.floor })
        #expect(budget.inUse == grants.map(LoadMemoryBudget.charge).reduce(0, +))
        budget.release(grants[0])
        #expect(budget.inUse == grants.dropFirst().map(LoadMemoryBudget.charge).reduce(0, +))
        // When not even the floor is left, the load is refused (too busy).
        let tight = LoadMemoryBudget(total: LoadMemoryBudget.charge(LoadMemoryBudget.floor))
        #expect(tight.reserve(48 << 20) == LoadMemoryBudget.floor)
        #expect(tight.reserve(48 << 20) == nil)
        // Through the service: a running load holds its grant until it ends.
        let engine = try Self.engine()
        let service = LoadService(
            engine: engine, transactions: TransactionManager(engine: engine),
            memoryBudget: LoadMemoryBudget(total: 1 << 30))
        var options = LoadOptions()
        options.columnSeparator = [44]
        options.columns = "id, name, price"
        guard case .success(let load) = service.begin(database: "db", table: "t", label: "m1", options: options) else {
            Issue.record("begin failed")
            return
        }
        #expect(service.memoryBudget.inUse == LoadMemoryBudget.charge(48 << 20))
        try Array("1,a,1\n".utf8).withUnsafeBytes { try load.consume($0) }
        #expect(load.finish().status == .success)
        #expect(service.memoryBudget.inUse == 0)
    }

    @Test func tooManyFilteredRowsNamesTheCountsAndTheRatio() throws {
        let engine = try Self.engine()
        var options = LoadOptions()
        options.columnSeparator = [44]
        options.maxFilterRatio = 0.25
        options.filter = "id > 1"
        options.strictMode = true
        options.columns = "id, name, price"
        let session = try LoadSession(
            engine: engine, table: try engine.table(database: "db", name: "t"), options: options)
        try Array("1,a,1\n2,b,2\nx,c,3\n4,d,4\ny,e,5\n".utf8).withUnsafeBytes { try session.consume($0) }
        let error = try #require(throws: LoadError.self) { try session.finish() }
        #expect(error.code == .tooManyFilteredRows)
        #expect(
            error.message
                == "too many filtered rows: 2 of 4 rows filtered (1 unselected by where), ratio 0.5 > max_filter_ratio 0.25"
        )
        var counters = LoadCounters()
        counters.totalRows = 3
        counters.filteredRows = 1
        #expect(
            counters.tooManyFilteredRowsMessage(maxFilterRatio: 0)
                == "too many filtered rows: 1 of 3 rows filtered, ratio 0.3333 > max_filter_ratio 0")
    }

    @Test func jsonLinesArraysPathsAndMalformedDocuments() throws {
        let engine = try Self.engine()
        let (lines, w1) = try Self.load(
            engine, "{\"id\": 1, \"name\": \"a\", \"price\": 1.25}\n{\"id\": 2, \"price\": \"3\"}\n{oops}\n"
        ) {
            $0.format = .json
            $0.maxFilterRatio = 0.5
        }
        #expect(lines.counters.totalRows == 3)
        #expect(lines.counters.filteredRows == 1)
        try engine.commit(w1!, label: "j1")
        let (nested, w2) = try Self.load(engine, "{\"data\": [{\"x\": {\"k\": 7, \"a.b\": \"q\"}}]}") {
            $0.format = .json
            $0.jsonRoot = "$.data"
            $0.stripOuterArray = true
            $0.jsonPaths = ["$.x.k", "$.x.\"a.b\""]
            $0.columns = "id, name"
        }
        #expect(nested.counters.loadedRows == 1)
        try engine.commit(w2!, label: "j2")
        #expect(
            try Self.rows(engine) == [["1", "a", "1.25", nil], ["2", nil, "3.00", nil], ["7", "q", nil, "none"]])
    }

    @Test func badColumnsAreAnalysisErrors() throws {
        let engine = try Self.engine()
        #expect(throws: LoadError.self) { _ = try Self.load(engine, "") { $0.columns = "name, price" } }
        #expect(throws: LoadError.self) { _ = try Self.load(engine, "") { $0.columns = "id, nope = 1" } }
        #expect(throws: LoadError.self) { _ = try Self.load(engine, "") { $0.filter = "id >" } }
    }

    @Test func labelsAreUniqueUntilAbortedAndReportState() throws {
        let engine = try Self.engine()
        let transactions = TransactionManager(engine: engine)
        let first = try transactions.begin(database: "db", label: "L")
        #expect(throws: TransactionError.self) { _ = try transactions.begin(database: "db", label: "L") }
        #expect(try transactions.state(database: "db", label: "L").state == .prepare)
        transactions.abort(first, reason: "test")
        #expect(try transactions.state(database: "db", label: "L").state == .aborted)
        let second = try transactions.begin(database: "db", label: "L")
        let (_, write) = try Self.load(engine, "9,z,1\n") { $0.columns = "id, name, price" }
        try transactions.commit(second, write: write!)
        #expect(try transactions.state(database: "db", label: "L").state == .visible)
        do {
            _ = try transactions.begin(database: "db", label: "L")
            Issue.record("label reused")
        } catch {
            #expect(error.existingJobStatus == "FINISHED")
        }
        #expect(!TransactionManager.isValidLabel("bad label"))
        #expect(TransactionManager.isValidLabel("ok-label_1"))
    }
}

@Suite struct JSONFastPathTests {
    @Test func flatObjectsEscapesNestingAndCaseAllLoadTheSame() throws {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        try engine.createDatabase("db")
        try engine.createTable(
            database: "db",
            TableDefinition(
                name: "j",
                columns: [
                    ColumnSchema(id: 0, name: "id", type: .int), ColumnSchema(id: 0, name: "Name", type: .string),
                    ColumnSchema(id: 0, name: "doc", type: .json), ColumnSchema(id: 0, name: "ok", type: .boolean),
                ]))
        var options = LoadOptions()
        options.format = .json
        let session = try LoadSession(
            engine: engine, table: try engine.table(database: "db", name: "j"), options: options)
        let body = """
            {"id": 1, "name": "plain", "doc": {"a": [1, 2]}, "ok": true}
            {"ID": 2, "Name": "esc\\"aped\\u00e9", "doc": null, "ok": false, "extra": 5}
            { "id" : -3 , "name" : "" }
            {"id": 4, "name": "bad" "x"}
            """
        try Array(body.utf8).withUnsafeBytes { try session.consume($0) }
        let write = try? session.finish()
        #expect(write == nil)  // one malformed row, default max_filter_ratio 0
        #expect(session.counters.totalRows == 4)
        #expect(session.counters.filteredRows == 1)
        #expect(session.errorLog.entries.first?.contains("Malformed JSON") == true)

        var lenient = options
        lenient.maxFilterRatio = 1
        let again = try LoadSession(
            engine: engine, table: try engine.table(database: "db", name: "j"), options: lenient)
        try Array(body.utf8).withUnsafeBytes { try again.consume($0) }
        try engine.commit(try again.finish(), label: "j")
        let scan = engine.scan(try engine.table(database: "db", name: "j"), columns: [0, 1, 2, 3])
        var rows = [[String?]]()
        while let batch = try scan.next() {
            for r in 0..<batch[0].count { rows.append(batch.map { $0.value(at: r).text(as: $0.type) }) }
        }
        rows.sort { Int($0[0]!)! < Int($1[0]!)! }
        #expect(
            rows == [["-3", "", nil, nil], ["1", "plain", "{\"a\": [1, 2]}", "1"], ["2", "esc\"apedé", nil, "0"]])
    }
}

extension JSONFastPathTests {
    /// Fields that feed a column directly are parsed into its type while the JSON is read, on the
    /// fast path and the DOM path (escaped strings) alike; failures behave as in CSV.
    @Test func typedFieldsFilterInStrictModeAndBecomeNullOtherwise() throws {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        try engine.createDatabase("db")
        try engine.createTable(
            database: "db",
            TableDefinition(
                name: "t",
                columns: [
                    ColumnSchema(id: 0, name: "id", type: .int),
                    ColumnSchema(id: 0, name: "amount", type: .decimal(precision: 6, scale: 2)),
                    ColumnSchema(id: 0, name: "day", type: .date),
                    ColumnSchema(id: 0, name: "tag", type: .varchar(length: 3)),
                ]))
        let body = """
            {"id": 1, "amount": 1.5, "day": "2025-01-02", "tag": "a"}
            {"id": "x2", "amount": 2, "day": "2025-01-03", "tag": "b"}
            {"id": 3, "amount": "12345.678", "day": "2025-13-01", "tag": "c"}
            {"id": 4, "amount": 4, "day": "2025-01-05", "tag": "t\\u0041oolong"}
            {"id": "5", "amount": "5.25", "day": "2025-01-06", "tag": "\\u0041"}
            """
        func load(strict: Bool, label: String) throws -> (LoadSession, [[String?]]) {
            var options = LoadOptions()
            options.format = .json
            options.strictMode = strict
            options.maxFilterRatio = 1
            let session = try LoadSession(
                engine: engine, table: try engine.table(database: "db", name: "t"), options: options)
            try Array(body.utf8).withUnsafeBytes { try session.consume($0) }
            try engine.commit(try session.finish(), label: label)
            let scan = engine.scan(try engine.table(database: "db", name: "t"), columns: [0, 1, 2, 3])
            var rows = [[String?]]()
            while let batch = try scan.next() {
                for r in 0..<batch[0].count { rows.append(batch.map { $0.value(at: r).text(as: $0.type) }) }
            }
            try engine.truncateTable(database: "db", name: "t")
            return (session, rows.sorted { ($0[2] ?? "") < ($1[2] ?? "") })
        }
        let (strict, kept) = try load(strict: true, label: "strict")
        #expect(kept == [["1", "1.50", "2025-01-02", "a"], ["5", "5.25", "2025-01-06", "A"]])
        #expect(strict.counters.filteredRows == 3)
        let log = strict.errorLog.entries
        #expect(
            log.contains {
                $0.contains("The value 'x2' of column 'id' cannot be converted to int(11)") && $0.contains("\"x2\"")
            })
        #expect(log.contains { $0.contains("of column 'amount'") && $0.contains("\"id\": 3") })
        #expect(log.contains { $0.contains("The value 'tAoolong' of column 'tag'") && $0.contains("\"id\": 4") })

        let (lenient, all) = try load(strict: false, label: "lenient")
        #expect(lenient.counters.filteredRows == 0)
        #expect(all.count == 5)
        #expect(all.contains { $0 == [nil, "2.00", "2025-01-03", "b"] })
        #expect(all.contains { $0 == ["3", nil, nil, "c"] })
        #expect(all.contains { $0 == ["4", "4.00", "2025-01-05", nil] })
    }
}

@Suite struct ParallelJSONTests {
    @Test func largeJSONLinesLoadTheSameInHalves() throws {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        try engine.createDatabase("db")
        try engine.createTable(
            database: "db",
            TableDefinition(
                name: "j",
                columns: [
                    ColumnSchema(id: 0, name: "id", type: .bigint), ColumnSchema(id: 0, name: "s", type: .string),
                ]))
        var options = LoadOptions()
        options.format = .json
        options.maxFilterRatio = 1
        let session = try LoadSession(
            engine: engine, table: try engine.table(database: "db", name: "j"), options: options)
        // Flat lines, a pretty-printed multi-line object, and a malformed line in the middle.
        var body = (0..<30_000).map { "{\"id\": \($0), \"s\": \"v\($0)\"}\n" }.joined()
        body += "{\n  \"id\": 30000,\n  \"s\": \"pretty\"\n}\n{broken\n"
        body += (30_001..<60_000).map { "{\"id\": \($0), \"s\": \"v\($0)\"}\r\n" }.joined()
        let bytes = Array(body.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + 400_000)
            try bytes[start..<end].withUnsafeBytes { try session.consume($0) }
            start = end
        }
        try engine.commit(try session.finish(), label: "p")
        #expect(session.counters.loadedRows == 60_000)
        #expect(session.counters.filteredRows == 1)
        let scan = engine.scan(try engine.table(database: "db", name: "j"), columns: [0])
        var ids = [Int64]()
        while let batch = try scan.next() { ids.append(contentsOf: batch[0].ints) }
        let sorted = ids.sorted()
        #expect(sorted.count == 60_000 && sorted.first == 0 && sorted.last == 59_999 && Set(sorted).count == 60_000)
    }
}

extension ParallelJSONTests {
    /// Objects cut anywhere by tiny chunks (inside keys, strings, nested values) load the same.
    @Test func tinyChunksCutObjectsAnywhere() throws {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        try engine.createDatabase("db")
        try engine.createTable(
            database: "db",
            TableDefinition(
                name: "j",
                columns: [
                    ColumnSchema(id: 0, name: "id", type: .bigint), ColumnSchema(id: 0, name: "s", type: .string),
                    ColumnSchema(id: 0, name: "doc", type: .json),
                ]))
        var options = LoadOptions()
        options.format = .json
        options.maxFilterRatio = 1
        let session = try LoadSession(
            engine: engine, table: try engine.table(database: "db", name: "j"), options: options)
        var body = (0..<2_000).map { "{\"id\": \($0), \"s\": \"v\($0)\", \"doc\": {\"k\": [\($0), {\"x\": \"}\"}]}}\n" }
            .joined()
        body += "{\n  \"id\": 2000,\n  \"s\": \"pretty\"\n}\n{broken\n"
        let bytes = Array(body.utf8)
        var rng = SeededRandom(seed: 7)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + Int.random(in: 1...300, using: &rng))
            try bytes[start..<end].withUnsafeBytes { try session.consume($0) }
            start = end
        }
        try engine.commit(try session.finish(), label: "t")
        #expect(session.counters.loadedRows == 2_001)
        #expect(session.counters.filteredRows == 1)
        let scan = engine.scan(try engine.table(database: "db", name: "j"), columns: [0, 2])
        var docs = [Int64: String]()
        while let batch = try scan.next() {
            for r in 0..<batch[0].count {
                docs[batch[0].ints[r]] = batch[1].value(at: r).text(as: batch[1].type) ?? "NULL"
            }
        }
        #expect(docs.count == 2_001)
        #expect(docs[1_234] == #"{"k": [1234, {"x": "}"}]}"#)
    }
}

@Suite struct ErrorLogTests {
    @Test func expiredLogsAreRemovedAndNamesAreChecked() throws {
        let fs = SimulatedFileSystem()
        try fs.createDirectory("/errors")
        var log = ErrorLog(limit: 2)
        for i in 0..<5 { log.record(reason: "bad \(i)", row: Array("row\(i)".utf8)) }
        #expect(log.entries.count == 2)
        #expect(log.rejected == 5)
        let old = ErrorLog.name(createdAt: 1_000, transactionID: 7, tableID: 3)
        let fresh = ErrorLog.name(createdAt: 5_000, transactionID: 8, tableID: 3)
        for name in [old, fresh] { _ = try log.write(fileSystem: fs, directory: "/errors", name: name) }
        #expect(ErrorLog.removeExpired(fileSystem: fs, directory: "/errors", before: 2_000) == 1)
        #expect(try fs.listDirectory("/errors") == [fresh])
        #expect(ErrorLog.isValidName(fresh))
        #expect(ErrorLog.tableID(ofName: fresh) == 3 && ErrorLog.tableID(ofName: fresh + "_rejected") == 3)
        #expect(ErrorLog.tableID(ofName: "error_log_5000_8_ab12") == nil)
        #expect(!ErrorLog.isValidName("../meta/checkpoint"))
        #expect(!ErrorLog.isValidName("error_log_1/../../x"))
    }
}

extension Array {
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min(count, $0 + size)] }
    }
}
