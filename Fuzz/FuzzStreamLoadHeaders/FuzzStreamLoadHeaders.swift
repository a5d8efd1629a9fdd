import CLibFuzzer
import HTTPTypes
import SluiceExpr
import SluiceFormat
import SluiceHTTP
import SluiceLoad
import SluiceStorage
import SluiceTesting

/// libFuzzer entry point for Stream Load's headers: the input is `name: value` lines (as a
/// client sends them); they are checked as before a transaction begins and then turned into
/// load options — `columns` and `where` parsed, `jsonpaths` decoded, every number and switch
/// validated. Any of it may refuse the load; nothing may crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStreamLoadHeaders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var fields = HTTPFields()
    for line in text.split(separator: "\n", omittingEmptySubsequences: true).prefix(128) {
        guard let colon = line.firstIndex(of: ":"), let name = HTTPField.Name(String(line[..<colon])) else { continue }
        fields.append(HTTPField(name: name, value: String(line[line.index(after: colon)...])))
    }
    let headers = StreamLoadHeaders(fields: fields)
    let limits = StreamLoadHeaders.Limits(streamingLoadMaxBytes: 1 << 30, defaultMemoryLimit: 1 << 24)
    guard (try? headers.validateBeforeBegin(contentLength: size, limits: limits, label: "fuzz")) != nil else {
        return 0
    }
    var options = LoadOptions()
    guard (try? headers.configure(&options, limits: limits)) != nil else { return 0 }
    _ = try? ColumnMapping(
        table: FuzzTable.meta, columns: options.columns, filter: options.filter, nowMicros: 0, timeZone: .utc,
        operationField: options.format == .json, partialUpdate: options.partialUpdate)
    return 0
}

/// A primary-key table with a column of each kind for `columns` and `where` to bind against.
enum FuzzTable {
    static let meta: TableMeta = {
        let engine = try! StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        try! engine.createDatabase("db")
        try! engine.createTable(
            database: "db",
            TableDefinition(
                name: "t",
                columns: [
                    ColumnSchema(id: 0, name: "id", type: .bigint, isNullable: false),
                    ColumnSchema(id: 0, name: "name", type: .varchar(length: 32)),
                    ColumnSchema(id: 0, name: "price", type: .decimal(precision: 10, scale: 2)),
                    ColumnSchema(id: 0, name: "ts", type: .datetime),
                ],
                keysType: .primary, keyColumns: ["id"], distribution: Distribution(columns: ["id"], buckets: 1)))
        return try! engine.table(database: "db", name: "t")
    }()
}

/// The executable's entry point (SwiftPM calls it `FuzzStreamLoadHeaders_main`): libFuzzer's driver.
@_cdecl("FuzzStreamLoadHeaders_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    sluice_fuzz_main(argc, argv) { data, size in fuzzStreamLoadHeaders(data!, size) }
}
