import Dispatch
package import SluiceExpr
package import SluiceFormat
import SluiceIO
package import SluiceLoad
import Synchronization

/// Where a Parquet file's bytes come from: a local file, an S3 object, memory.
package protocol ParquetSource: Sendable {
    /// The file's path, for messages.
    var name: String { get }
    var size: Int { get }
    /// Up to `length` bytes from `offset` (fewer only at the end of the file).
    func read(offset: Int, length: Int) throws -> [UInt8]
}

/// A Parquet file: its footer, read with one or two ranged reads, and its row groups, read column
/// chunk by column chunk (only the columns asked for) into source columns.
package final class ParquetFile: Sendable {
    package let metadata: ParquetMetadata
    private let source: any ParquetSource
    /// The file's path, for messages.
    package var name: String { source.name }
    /// Most rows a row group may have (each is decoded whole).
    static let maxRowGroupRows = 1 << 26

    /// Reads and decodes the footer.
    /// - Throws: ``ParquetError`` (`.notParquet`, `.corrupt`, `.unsupported`) naming the file, or
    ///   the source's error.
    package init(source: any ParquetSource) throws {
        self.source = source
        let size = source.size
        let path = source.name
        guard size >= 12 else {
            throw ParquetError(.notParquet, "\(path) is not a Parquet file: it is \(size) bytes long")
        }
        let tailLength = min(size, 1 << 16)
        var tail = try source.read(offset: size - tailLength, length: tailLength)
        guard tail.count == tailLength else {
            throw ParquetError(.corrupt, "\(path) changed while it was read: its footer is cut short")
        }
        let magic = Array(tail.suffix(4))
        if magic == Array("PARE".utf8) {
            throw ParquetError(.unsupported, "\(path) is an encrypted Parquet file: decrypt it before loading")
        }
        guard magic == Array("PAR1".utf8) else {
            throw ParquetError(.notParquet, "\(path) is not a Parquet file: it does not end with PAR1")
        }
        let footerLength = tail.withUnsafeBytes {
            Int($0.loadUnaligned(fromByteOffset: tailLength - 8, as: UInt32.self).littleEndian)
        }
        guard footerLength > 0, footerLength <= size - 12 else {
            throw ParquetError(
                .corrupt, "\(path) has a damaged footer (length \(footerLength)): the file is truncated or corrupt"
            )
        }
        if footerLength + 8 > tailLength {
            tail = try source.read(offset: size - 8 - footerLength, length: footerLength + 8)
        }
        let start = tail.count - 8 - footerLength
        do {
            metadata = try withBytes(tail) { (raw) throws(ParquetError) in
                try ParquetMetadata(thrift: UnsafeRawBufferPointer(rebasing: raw[start..<(raw.count - 8)]))
            }
        } catch {
            throw ParquetError(error.code, "\(path): \(error.message)")
        }
        for (g, group) in metadata.rowGroups.enumerated() {
            guard (0...Int64(Self.maxRowGroupRows)).contains(group.rowCount) else {
                throw ParquetError(
                    .unsupported,
                    "\(path): row group \(g) has \(group.rowCount) rows: write row groups of at most "
                        + "\(Self.maxRowGroupRows) rows")
            }
            for chunk in group.columns where chunk.start < 4 || chunk.start + chunk.compressedSize > Int64(size) {
                throw ParquetError(
                    .corrupt, "\(path): row group \(g) points past the end of the file: the file is truncated")
            }
        }
    }

    /// The index of the column named `name` (exact, then case-insensitive), or nil.
    package func columnIndex(_ name: String) -> Int? {
        metadata.columns.firstIndex { $0.name == name }
            ?? metadata.columns.firstIndex { $0.name.lowercased() == name.lowercased() }
    }

    /// Reads row group `group`'s `columns` (by index), each converted to its `targets` type.
    /// - Parameter concurrently: fetch and decode the column chunks on one task each (a single
    ///   row group read alone); otherwise one after the other (row groups read side by side).
    /// - Returns: the source columns and, per column, the values that did not convert.
    package func read(
        rowGroup group: Int, columns: [Int], targets: [ColumnType], timeZone: SessionTimeZone,
        concurrently: Bool = true
    ) throws -> (columns: [ColumnVector], failures: [ParseFailures]) {
        let rowGroup = metadata.rowGroups[group]
        let rows = Int(rowGroup.rowCount)
        let results = Mutex([Result<(ColumnVector, ParseFailures), any Error>?](repeating: nil, count: columns.count))
        guard concurrently else {
            // One read for every needed chunk when they lie close together (one request to S3
            // instead of one per column).
            let chunks = columns.map { rowGroup.columns[$0] }
            let start = chunks.map(\.start).min() ?? 0
            let end = chunks.map { $0.start + $0.compressedSize }.max() ?? 0
            let needed = chunks.reduce(Int64(0)) { $0 + $1.compressedSize }
            var span: [UInt8]?
            if end - start <= 2 * needed + (1 << 20) {
                span = try source.read(offset: Int(start), length: Int(end - start))
            }
            var vectors = [ColumnVector]()
            var failures = [ParseFailures]()
            for (k, index) in columns.enumerated() {
                let chunk = rowGroup.columns[index]
                let bytes = span.map { span in
                    let from = Int(chunk.start - start)
                    return Array(span[min(from, span.count)..<min(from + Int(chunk.compressedSize), span.count)])
                }
                let (vector, failed) = try decode(
                    chunk, column: index, rows: rows, target: targets[k], timeZone: timeZone, bytes: bytes)
                vectors.append(vector)
                failures.append(failed)
            }
            return (vectors, failures)
        }
        BackgroundWork.parallel(columns.count) { k in
            let result = Result {
                try self.decode(
                    rowGroup.columns[columns[k]], column: columns[k], rows: rows,
                    target: targets[k], timeZone: timeZone)
            }
            results.withLock { $0[k] = result }
        }
        var vectors = [ColumnVector]()
        var failures = [ParseFailures]()
        for result in results.withLock({ $0 }) {
            let (vector, failed) = try result!.get()
            vectors.append(vector)
            failures.append(failed)
        }
        return (vectors, failures)
    }

    /// One column chunk: fetched with one ranged read, decoded into a source column.
    private func decode(
        _ chunk: ParquetColumnChunk, column index: Int, rows: Int, target: ColumnType, timeZone: SessionTimeZone,
        bytes given: [UInt8]? = nil
    ) throws -> (ColumnVector, ParseFailures) {
        let bytes = try given ?? source.read(offset: Int(chunk.start), length: Int(chunk.compressedSize))
        guard bytes.count == Int(chunk.compressedSize) else {
            throw ParquetError(.corrupt, "\(name): a column chunk is cut short: the file is truncated")
        }
        var decoder = ParquetChunkDecoder(
            column: metadata.columns[index], codec: chunk.codec, target: target, timeZone: timeZone)
        var vector = ColumnVector(type: target, capacity: min(rows, Int(chunk.valueCount), 1 << 20))
        var failed = ParseFailures()
        do {
            try withBytes(bytes) { (raw) throws(ParquetError) in
                try decoder.decode(raw, rows: rows, into: &vector, failures: &failed, firstRow: 0)
            }
        } catch {
            throw ParquetError(error.code, "\(name): \(error.message)")
        }
        return (vector, failed)
    }
}
