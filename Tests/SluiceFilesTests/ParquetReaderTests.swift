import Foundation
import SluiceExpr
import SluiceFiles
import SluiceFormat
import SluiceIO
import SluiceLoad
import SluiceParquet
import SluiceTesting
import Testing

/// The Parquet reader against files pyarrow wrote (scripts/parquet/make-fixtures.py): every codec,
/// both data page versions, dictionary and plain encodings, NULLs and logical types.
@Suite struct ParquetReaderTests {
    static let fixtures = SchemaRegistryProcess.root.appendingPathComponent("Tests/Fixtures/parquet").path
    let store = LocalFiles(fileSystem: PosixFileSystem())

    func open(_ name: String) throws -> ParquetFile {
        let file = try #require(try store.list(Self.fixtures + "/" + name).first)
        return try ParquetFile(source: store, file: file)
    }

    /// Every row of `file` as text (NULL as nil), columns converted to `targets` (text by default).
    func rows(
        _ file: ParquetFile, columns: [String]? = nil, targets: [ColumnType]? = nil, zone: SessionTimeZone = .utc
    ) throws -> [[String?]] {
        let indices = try (columns ?? file.metadata.columns.map(\.name)).map { try #require(file.columnIndex($0)) }
        let types = targets ?? indices.map { _ in .string }
        var out = [[String?]]()
        for g in file.metadata.rowGroups.indices {
            let (vectors, failures) = try file.read(rowGroup: g, columns: indices, targets: types, timeZone: zone)
            let clean = failures.allSatisfy(\.isEmpty)
            #expect(clean, "\(failures)")
            for r in 0..<(vectors.first?.count ?? 0) {
                out.append(vectors.map { $0.value(at: r).text(as: $0.type) })
            }
        }
        return out
    }

    static let expectedText: [[String?]] = [
        [
            "1", "-128", "-32768", "-2147483648", "-9223372036854775808", "4294967295", "1.5", "3.141592653589793",
            "1234567.89", "123456789012.345678", "123456789012345678901234.567891", "2024-02-29",
            "2024-05-06 07:08:09.123000", "2024-05-06 07:08:09.123456", "2024-05-06 07:08:09.123456", "héllo",
            "\u{0}\u{1}",
        ],
        [
            "0", "127", "32767", "2147483647", "9223372036854775807", "0", "-0.25", "-1e+300", "-0.01", "-1.000000",
            "-0.000001", "1970-01-01", "1970-01-01 00:00:00", "1970-01-01 00:00:00", nil, "", "",
        ],
        Array(repeating: nil, count: 17),
        [
            "1", "0", "0", "0", "0", "1", "0", "0", "0.00", "0.000000", "0.000000", "0001-01-01",
            "2000-01-01 00:00:00", "2000-01-01 12:00:00", "2000-01-01 00:00:00", "a,b", "abc",
        ],
        [
            "0", "1", "2", "3", "4", "5", "3", "2.5", "5.00", "6.000000", "7.000000", "9999-12-31",
            "2038-01-19 03:14:07", "2024-12-31 23:59:59", "2001-02-03 00:00:00", String(repeating: "x", count: 30), "z",
        ],
    ]

    @Test(arguments: ["types-snappy-v1", "types-gzip-v2", "types-zstd-plain", "types-none-int96"])
    func everyCodecAndPageVersionReadsTheSameValues(_ name: String) throws {
        let file = try open(name + ".parquet")
        #expect(file.metadata.rowCount == 5)
        #expect(file.metadata.columns.map(\.name).first == "b")
        let text = try rows(file)
        // INT96 (the last file) carries no zone: timestamps are whole microseconds of UTC.
        #expect(text.count == 5)
        for (row, expected) in zip(text, Self.expectedText) {
            for (j, (value, want)) in zip(row, expected).enumerated() {
                let column = file.metadata.columns[j].name
                if name.hasSuffix("int96") && column.hasPrefix("ts") {
                    continue  // checked below
                }
                #expect(value == want, "\(name) column \(column)")
            }
        }
        if name.hasSuffix("int96") {
            #expect(text[0][12] == "2024-05-06 07:08:09.123000" && text[0][13] == "2024-05-06 07:08:09.123456")
        }
    }

    @Test func valuesConvertStraightIntoColumnTypes() throws {
        let file = try open("types-snappy-v1.parquet")
        let typed = try rows(
            file, columns: ["i32", "i64", "f64", "d9", "d18", "dt", "ts_us_utc", "s", "b"],
            targets: [
                .bigint, .largeint, .double, .decimal(precision: 12, scale: 4), .decimal(precision: 27, scale: 9),
                .date, .datetime, .varchar(length: 30), .boolean,
            ])
        #expect(
            typed[0] == [
                "-2147483648", "-9223372036854775808", "3.141592653589793", "1234567.8900", "123456789012.345678000",
                "2024-02-29", "2024-05-06 07:08:09.123456", "héllo", "1",
            ])
        // UTC timestamps arrive in the session's time zone.
        let shanghai = try #require(SessionTimeZone("Asia/Shanghai"))
        let local = try rows(file, columns: ["ts_us_utc", "ts_ms"], targets: [.datetime, .datetime], zone: shanghai)
        #expect(local[0] == ["2024-05-06 15:08:09.123456", "2024-05-06 07:08:09.123000"])
    }

    @Test func valuesThatDoNotFitFailWithTheirText() throws {
        let file = try open("types-snappy-v1.parquet")
        let i64 = try #require(file.columnIndex("i64"))
        let s = try #require(file.columnIndex("s"))
        let (vectors, failures) = try file.read(
            rowGroup: 0, columns: [i64, s], targets: [.int, .varchar(length: 3)], timeZone: .utc)
        #expect(failures[0].map(\.row) == [0, 1])
        #expect(failures[0].map(\.text) == ["-9223372036854775808", "9223372036854775807"])
        #expect(failures[1].map(\.row) == [0, 4])
        #expect(vectors[0].isNull(0) && vectors[0].value(at: 3) == .int(0))
    }

    @Test func rowGroupsAndDictionaries() throws {
        let file = try open("groups.parquet")
        #expect(file.metadata.rowGroups.map(\.rowCount) == [3000, 3000, 3000, 1000])
        #expect(file.metadata.columns.map(\.optional) == [false, true, true])
        let all = try rows(file, columns: ["amount", "city", "id"], targets: [.double, .string, .bigint])
        #expect(all.count == 10_000)
        #expect(all[9998] == ["4999", "Kyoto", "9998"])
        #expect(all[3] == ["1.5", nil, "3"])
        let stats = try #require(file.metadata.rowGroups[1].columns[0].statistics)
        #expect(stats.min == withUnsafeBytes(of: Int64(3000).littleEndian, Array.init))
        #expect(stats.max == withUnsafeBytes(of: Int64(5999).littleEndian, Array.init))
    }

    /// A fuzzer finding: an INT96 timestamp whose Julian day overflowed the microseconds (a trap).
    /// Such values are now conversion failures naming the day.
    @Test func outOfRangeTimestampsFailTheirValueNotTheProcess() throws {
        let file = try open("int96-overflow.parquet")
        let columns = Array(file.metadata.columns.indices)
        let kinds: [ColumnType] = [.bigint, .double, .datetime, .decimal(precision: 20, scale: 4)]
        var outcomes = [String]()
        for g in file.metadata.rowGroups.indices {
            for targets in [columns.map { _ in ColumnType.string }, columns.map { kinds[$0 % kinds.count] }] {
                // Before the fix this trapped (the process died); now each read ends.
                do {
                    let read = try file.read(rowGroup: g, columns: columns, targets: targets, timeZone: .utc)
                    outcomes.append("\(read.failures.reduce(0) { $0 + $1.count }) failures")
                } catch let error as ParquetError {
                    outcomes.append(error.message)
                }
            }
        }
        #expect(outcomes.count == file.metadata.rowGroups.count * 2)
    }

    @Test func badFilesAreRefusedWithTheReason() throws {
        #expect { try open("nested.parquet") } throws: { error in
            let e = error as? ParquetError
            return e?.code == .unsupported && e?.message.contains("Column 'tags' is nested") == true
        }
        // Not Parquet, and a truncated file.
        let directory = makeTemporaryDirectory("sluice-parquet")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/p.parquet"))
        try Data("id,name\n1,a\n".utf8).write(to: URL(fileURLWithPath: directory + "/x.parquet"))
        try good.prefix(good.count - 10).write(to: URL(fileURLWithPath: directory + "/cut.parquet"))
        var damaged = good
        damaged.replaceSubrange(4..<60, with: Data(repeating: 0xEE, count: 56))
        try damaged.write(to: URL(fileURLWithPath: directory + "/damaged.parquet"))
        for (name, code) in [("x", ParquetError.Code.notParquet), ("cut", .notParquet)] {
            let file = try #require(try store.list(directory + "/\(name).parquet").first)
            #expect { try ParquetFile(source: store, file: file) } throws: { ($0 as? ParquetError)?.code == code }
        }
        let file = try #require(try store.list(directory + "/damaged.parquet").first)
        let parquet = try ParquetFile(source: store, file: file)
        #expect {
            _ = try parquet.read(rowGroup: 0, columns: [0, 1, 2], targets: [.int, .string, .int], timeZone: .utc)
        } throws: { error in
            (error as? ParquetError)?.code == .corrupt
        }
    }
}
