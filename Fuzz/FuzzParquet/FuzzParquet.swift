import CLibFuzzer
import SluiceExpr
import SluiceFormat
import SluiceParquet

/// libFuzzer entry point for the Parquet reader: the input is a whole file (footer, schema, row
/// groups, pages), read from memory. Its footer is decoded, then every row group's columns are
/// read as text and again into typed columns. Reading may fail with a ``ParquetError``; it must
/// never crash, hang or allocate beyond the bounds the reader sets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParquet(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = MemoryFile(bytes: Array(UnsafeBufferPointer(start: data, count: size)))
    guard let parquet = try? ParquetFile(source: source) else { return 0 }
    let columns = Array(parquet.metadata.columns.indices)
    let kinds: [ColumnType] = [.bigint, .double, .datetime, .decimal(precision: 20, scale: 4)]
    let typed = columns.map { kinds[$0 % kinds.count] }
    for group in parquet.metadata.rowGroups.indices.prefix(8) {
        _ = try? parquet.read(
            rowGroup: group, columns: columns, targets: columns.map { _ in .string }, timeZone: .utc,
            concurrently: false)
        _ = try? parquet.read(rowGroup: group, columns: columns, targets: typed, timeZone: .utc, concurrently: false)
    }
    return 0
}

/// The executable's entry point (SwiftPM calls it `FuzzParquet_main`): libFuzzer's driver.
@_cdecl("FuzzParquet_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    sluice_fuzz_main(argc, argv) { data, size in fuzzParquet(data!, size) }
}

/// One file in memory.
private struct MemoryFile: ParquetSource {
    let bytes: [UInt8]
    var name: String { "fuzz.parquet" }
    var size: Int { bytes.count }

    func read(offset: Int, length: Int) throws -> [UInt8] {
        guard offset >= 0, length >= 0, offset <= bytes.count else { return [] }
        return Array(bytes[offset..<min(bytes.count, offset + length)])
    }
}
