import Dispatch
import SluiceIO
package import SluiceLoad
import Synchronization

/// Feeds listed files into an open load, file after file (each file is its own body: a last row
/// without a delimiter ends with the file, headers are skipped per file), reading the next chunk
/// while the current one is parsed. Blocking: runs on the load's own thread.
package struct FileFeed: Sendable {
    package let source: any FileStore
    /// Bytes per read (one ranged GET for S3).
    package var chunkBytes = 16 << 20

    package init(source: any FileStore) { self.source = source }

    /// Why a feed stopped early; the caller aborts the load with it.
    package struct Interrupted: Error, Sendable {
        package var error: LoadError
    }

    /// - Parameters:
    ///   - interrupt: asked before every chunk; a non-nil answer stops the feed (cancel, timeout).
    ///   - progress: bytes read so far, after every chunk.
    /// - Throws: ``FileSourceError`` (a read failed), ``Interrupted``, or the load's error.
    package func feed(
        _ files: [ListedFile], into load: RunningLoad, compression: String? = nil,
        interrupt: () -> LoadError? = { nil }, progress: (Int) -> Void = { _ in }
    ) throws {
        var total = 0
        let pathColumns = PathColumns(load.columnsFromPath)
        for file in files {
            try load.setPathValues(pathColumns.values(in: file.path))
            let decompressor = try Self.decompressor(for: file.path, compression: compression)
            var offset = 0
            var pending: Prefetch? = Prefetch(source: source, file: file, offset: 0, length: chunkBytes)
            while let current = pending {
                if let error = interrupt() { throw Interrupted(error: error) }
                let chunk = try current.wait()
                offset += chunk.count
                // A short read is the end of the file; otherwise ask for the next chunk now.
                pending =
                    chunk.count == chunkBytes && offset < max(file.size, offset + 1)
                    ? Prefetch(source: source, file: file, offset: offset, length: chunkBytes) : nil
                if !chunk.isEmpty {
                    if let decompressor {
                        try chunk.withUnsafeBytes { compressed in
                            try decompressor.decompress(compressed) { try load.consume($0) }
                        }
                    } else {
                        try chunk.withUnsafeBytes { try load.consume($0) }
                    }
                }
                total += chunk.count
                progress(total)
            }
            if let decompressor, !decompressor.isAtFrameEnd {
                throw LoadError(
                    .invalidArgument, "\(file.path) ends inside a \(decompressor.name) frame: the file is truncated")
            }
            try load.endBody()
        }
    }
}

extension FileFeed {
    /// The compression a file's extension names (`.gz`, `.bz2`, `.lz4`, `.zst`, `.deflate`), or nil.
    package static func compression(of path: String) -> String? {
        let lower = path.lowercased()
        for (suffix, name) in [
            (".gz", "gzip"), (".gzip", "gzip"), (".bz2", "bzip2"), (".lz4", "lz4"), (".zst", "zstd"),
            (".zstd", "zstd"), (".deflate", "deflate"),
        ] where lower.hasSuffix(suffix) {
            return name
        }
        return nil
    }

    /// The decompressor of a file: `compression` when given, else its extension's; nil for a
    /// plain file.
    /// - Throws: ``LoadError`` `.invalidArgument` for an unknown compression name.
    package static func decompressor(for path: String, compression: String?) throws(LoadError)
        -> (any StreamDecompressor)?
    {
        guard let name = compression ?? self.compression(of: path) else { return nil }
        return try streamDecompressor(named: name)
    }

    /// `path` without a compression extension (`a.csv.gz` → `a.csv`).
    package static func withoutCompression(_ path: String) -> String {
        guard compression(of: path) != nil, let dot = path.lastIndex(of: ".") else { return path }
        return String(path[..<dot])
    }
}

/// One chunk read on a background thread.
private final class Prefetch: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<Result<[UInt8], FileSourceError>?>(nil)

    init(source: any FileStore, file: ListedFile, offset: Int, length: Int) {
        BackgroundWork.async { [self] in
            let read = Result { () throws(FileSourceError) in try source.read(file, offset: offset, length: length) }
            result.withLock { $0 = read }
            done.signal()
        }
    }

    func wait() throws(FileSourceError) -> [UInt8] {
        done.wait()
        done.signal()
        return try result.withLock { $0! }.get()
    }
}
