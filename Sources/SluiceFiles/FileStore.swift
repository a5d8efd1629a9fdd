/// One file a load reads: where it is, how large, and which version of it (Pipe loads each
/// version of a path once).
package struct ListedFile: Sendable, Hashable {
    /// The path as loads report it: `s3://bucket/key`, or an absolute local path.
    package var path: String
    package var size: Int
    /// The S3 ETag (without quotes), or the modification time in epoch milliseconds for local
    /// files (StarRocks' `FILE_VERSION`).
    package var version: String
    /// Last modification, epoch milliseconds.
    package var modifiedMillis: Int64

    package init(path: String, size: Int, version: String = "", modifiedMillis: Int64 = 0) {
        self.path = path
        self.size = size
        self.version = version
        self.modifiedMillis = modifiedMillis
    }
}

/// Where file loads read from: lists the files a location (with Hadoop glob patterns) names and
/// reads byte ranges of them. Blocking: call from a load or statement thread, never an event loop.
package protocol FileStore: Sendable {
    /// The regular files `location` names, in listing order (sorted by path).
    /// - Throws: ``FileSourceError``: `.invalidPath`, `.noFilesFound` (StarRocks' text), `.io`.
    func list(_ location: String) throws(FileSourceError) -> [ListedFile]
    /// Up to `length` bytes of `file` from `offset` (fewer only at the end of the file).
    func read(_ file: ListedFile, offset: Int, length: Int) throws(FileSourceError) -> [UInt8]
}

extension FileStore {
    /// The files every location names, in order, each path once.
    /// - Throws: `.noFilesFound` naming every location when none matches anything.
    package func list(_ locations: [String]) throws(FileSourceError) -> [ListedFile] {
        var files = [ListedFile]()
        var seen = Set<String>()
        for location in locations {
            let listed: [ListedFile]
            do {
                listed = try list(location)
            } catch  where error.code == .noFilesFound && locations.count > 1 {
                continue
            }
            for file in listed where seen.insert(file.path).inserted { files.append(file) }
        }
        guard !files.isEmpty else { throw FileSourceError.noFilesFound(locations) }
        return files
    }
}
