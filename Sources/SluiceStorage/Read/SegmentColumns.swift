import SluiceFormat
import SluiceIO
import Synchronization

/// Reads whole columns of segment files (merge-on-write apply, index builds, compaction, fsck).
struct SegmentColumnReader {
    let fileSystem: any FileSystem
    let directory: DataDirectory
    /// The engine's cache of parsed footers, by path (fsck reads without one).
    var cachedFooter: (String) -> SegmentFooter? = { _ in nil }
    var cacheFooter: (String, SegmentFooter) -> Void = { _, _ in }

    /// The columns of one segment. A column the segment does not hold (added later) reads as NULLs.
    func read(tablet: Int64, rowset: Int64, segment: SegmentMeta, columns: [ColumnSchema]) throws -> [ColumnVector] {
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
            if let cached = cachedFooter(path) {
                footer = cached
            } else {
                footer = try SegmentReader.footer(fileSize: file.size) { try file.read(offset: $0, length: $1) }
                cacheFooter(path, footer)
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

extension StorageEngine {
    /// Reads whole columns of one segment file (see ``SegmentColumnReader``), with the footer cache.
    func readSegment(tablet: Int64, rowset: Int64, segment: SegmentMeta, columns: [ColumnSchema]) throws
        -> [ColumnVector]
    {
        let reader = SegmentColumnReader(
            fileSystem: fileSystem, directory: directory, cachedFooter: { path in self.footers.withLock { $0[path] } },
            cacheFooter: { path, footer in self.footers.withLock { $0[path] = footer } })
        return try reader.read(tablet: tablet, rowset: rowset, segment: segment, columns: columns)
    }
}
