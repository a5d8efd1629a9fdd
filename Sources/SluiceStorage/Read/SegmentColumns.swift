import SluiceFormat
import SluiceIO
import Synchronization

/// Opens segment files and reads whole columns of them (scans, merge-on-write apply, index
/// builds, compaction, fsck).
struct SegmentColumnReader {
    let fileSystem: any FileSystem
    let directory: DataDirectory
    /// The engine's cache of parsed footers, by path (fsck reads without one).
    var cachedFooter: (String) -> SegmentFooter? = { _ in nil }
    var cacheFooter: (String, SegmentFooter) -> Void = { _, _ in }

    /// Opens a segment file and reads (or takes from the cache) its footer; the caller closes
    /// the file.
    func open(_ path: String) throws -> (file: any ReadableFile, footer: SegmentFooter) {
        let file: any ReadableFile
        do {
            file = try fileSystem.openForReading(path)
        } catch {
            throw StorageError(.io, "cannot open segment \(path): \(error)", underlying: error)
        }
        if let cached = cachedFooter(path) { return (file, cached) }
        do {
            let footer = try SegmentReader.footer(fileSize: file.size) { try file.read(offset: $0, length: $1) }
            cacheFooter(path, footer)
            return (file, footer)
        } catch {
            file.close()
            throw Self.storageError(error, path)
        }
    }

    /// The columns of one segment. A column the segment does not hold (added later) reads as NULLs.
    func read(tablet: Int64, rowset: Int64, segment: SegmentMeta, columns: [ColumnSchema]) throws -> [ColumnVector] {
        let path = directory.segment(tablet: tablet, rowset: rowset, index: segment.index)
        let (file, footer) = try open(path)
        defer { file.close() }
        do {
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
        } catch {
            throw Self.storageError(error, path)
        }
    }

    private static func storageError(_ error: any Error, _ path: String) -> StorageError {
        switch error {
        case let error as FormatError: StorageError(.corruption, "corrupt segment \(path): \(error)", underlying: error)
        case let error as StorageError: error
        default: StorageError(.io, "cannot read segment \(path): \(error)", underlying: error)
        }
    }
}

extension StorageEngine {
    /// Segment files of this data directory, through the footer cache.
    var segmentReader: SegmentColumnReader {
        SegmentColumnReader(
            fileSystem: fileSystem, directory: directory, cachedFooter: { path in self.footers.withLock { $0[path] } },
            cacheFooter: { path, footer in self.footers.withLock { $0[path] = footer } })
    }

    /// Reads whole columns of one segment file (see ``SegmentColumnReader``).
    func readSegment(tablet: Int64, rowset: Int64, segment: SegmentMeta, columns: [ColumnSchema]) throws
        -> [ColumnVector]
    {
        try segmentReader.read(tablet: tablet, rowset: rowset, segment: segment, columns: columns)
    }
}
