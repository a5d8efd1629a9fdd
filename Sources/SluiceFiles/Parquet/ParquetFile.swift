import Dispatch
package import SluiceExpr
package import SluiceFormat
import SluiceIO
package import SluiceLoad
import Synchronization

/// A Parquet file in a ``FileStore``: its footer, read with one or two ranged reads, and its
/// row groups, read column chunk by column chunk (only the columns asked for) into source columns.
package final class ParquetFile: Sendable {
    package let file: ListedFile
    package let metadata: ParquetMetadata
    private let source: any FileStore

    /// Reads and decodes the footer.
    /// - Throws: ``ParquetError`` (`.notParquet`, `.corrupt`, `.unsupported`) naming the file, or
    ///   the store's ``FileSourceError``.
    package init(source: any FileStore, file: ListedFile) throws {
        self.source = source
        self.file = file
        let size = file.size
        guard size >= 12 else {
            throw ParquetError(.notParquet, "\(file.path) is not a Parquet file: it is \(size) bytes long")
        }
        let tailLength = min(size, 1 << 16)
        var tail = try source.read(file, offset: size - tailLength, length: tailLength)
        guard tail.count == tailLength else {
            throw ParquetError(.corrupt, "\(file.path) changed while it was read: its footer is cut short")
        }
        let magic = Array(tail.suffix(4))
        if magic == Array("PARE".utf8) {
            throw ParquetError(.unsupported, "\(file.path) is an encrypted Parquet file: decrypt it before loading")
        }
        guard magic == Array("PAR1".utf8) else {
            throw ParquetError(.notParquet, "\(file.path) is not a Parquet file: it does not end with PAR1")
        }
        let footerLength = tail.withUnsafeBytes {
            Int($0.loadUnaligned(fromByteOffset: tailLength - 8, as: UInt32.self).littleEndian)
        }
        guard footerLength > 0, footerLength <= size - 12 else {
            throw ParquetError(
                .corrupt, "\(file.path) has a damaged footer (length \(footerLength)): the file is truncated or corrupt"
            )
        }
        if footerLength + 8 > tailLength {
            tail = try source.read(file, offset: size - 8 - footerLength, length: footerLength + 8)
        }
        let start = tail.count - 8 - footerLength
        do {
            metadata = try withBytes(tail) { (raw) throws(ParquetError) in
                try ParquetMetadata(thrift: UnsafeRawBufferPointer(rebasing: raw[start..<(raw.count - 8)]))
            }
        } catch {
            throw ParquetError(error.code, "\(file.path): \(error.message)")
        }
        for (g, group) in metadata.rowGroups.enumerated() {
            for chunk in group.columns where chunk.start < 4 || chunk.start + chunk.compressedSize > Int64(size) {
                throw ParquetError(
                    .corrupt, "\(file.path): row group \(g) points past the end of the file: the file is truncated")
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
            var vectors = [ColumnVector]()
            var failures = [ParseFailures]()
            for (k, index) in columns.enumerated() {
                let (vector, failed) = try decode(
                    rowGroup.columns[index], column: index, rows: rows, target: targets[k], timeZone: timeZone)
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
        _ chunk: ParquetColumnChunk, column index: Int, rows: Int, target: ColumnType, timeZone: SessionTimeZone
    ) throws -> (ColumnVector, ParseFailures) {
        let bytes = try source.read(file, offset: Int(chunk.start), length: Int(chunk.compressedSize))
        guard bytes.count == Int(chunk.compressedSize) else {
            throw ParquetError(.corrupt, "\(file.path): a column chunk is cut short: the file is truncated")
        }
        var decoder = ParquetChunkDecoder(
            column: metadata.columns[index], codec: chunk.codec, target: target, timeZone: timeZone)
        var vector = ColumnVector(type: target, capacity: rows)
        var failed = ParseFailures()
        do {
            try withBytes(bytes) { (raw) throws(ParquetError) in
                try decoder.decode(raw, rows: rows, into: &vector, failures: &failed, firstRow: 0)
            }
        } catch {
            throw ParquetError(error.code, "\(file.path): \(error.message)")
        }
        return (vector, failed)
    }
}
