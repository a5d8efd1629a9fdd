import SluiceFormat
import SluiceIO
import Synchronization

extension StorageEngine {
    /// Reads whole columns of one segment file (merge-on-write apply, index builds, compaction).
    /// A column the segment does not hold (added later) reads as NULLs.
    func readSegment(tablet: Int64, rowset: Int64, segment: SegmentMeta, columns: [ColumnSchema]) throws
        -> [ColumnVector]
    {
        let path = directory.segment(tablet: tablet, rowset: rowset, index: segment.index)
        let file: any ReadableFile
        do {
            file = try fileSystem.openForReading(path)
        } catch {
            throw StorageError(.io, "cannot open segment \(path): \(error)", underlying: error)
        }
        defer { file.close() }
        do {
            let footer: SegmentFooter
            if let cached = footers.withLock({ $0[path] }) {
                footer = cached
            } else {
                footer = try SegmentReader.footer(fileSize: file.size) { try file.read(offset: $0, length: $1) }
                footers.withLock { $0[path] = footer }
            }
            return try columns.map { column in
                guard let entry = footer.column(id: column.id) else {
                    return ColumnVector(type: column.type, repeating: .null, count: footer.rowCount)
                }
                var vector = ColumnVector(type: column.type, capacity: footer.rowCount)
                for page in entry.pages {
                    let bytes = try file.read(offset: page.offset, length: page.size)
                    try PageCodec.decode(bytes, into: &vector, baseOffset: page.offset)
                }
                return vector
            }
        } catch let error as FormatError {
            throw StorageError(.corruption, "corrupt segment \(path): \(error)", underlying: error)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.io, "cannot read segment \(path): \(error)", underlying: error)
        }
    }
}
