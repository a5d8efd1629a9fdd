import CLibFuzzer
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
    let typed: [ColumnType] = columns.map { _ in
        [.bigint, .double, .datetime, .decimal(precision: 20, scale: 4)][$0 % 4]
    }
    for group in parquet.metadata.rowGroups.indices.prefix(8) {
        _ = try? parquet.read(
            rowGroup: group, columns: columns, targets: columns.map { _ in .string }, timeZone: .utc,
            concurrently: false)
        _ = try? parquet.read(rowGroup: group, columns: columns, targets: typed, timeZone: .utc, concurrently: false)
    }
    return 0
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
