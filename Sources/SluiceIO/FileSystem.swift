/// Every disk access of the engine goes through this protocol, so crash tests can substitute a
/// simulated file system that drops unsynced data (see `SimulatedFileSystem` in SluiceTesting).
///
/// All calls block; callers keep them off the cooperative pool (see ``BlockingIO``).
/// Paths are absolute or relative strings joined with ``FilePath/join(_:_:)``.
package protocol FileSystem: Sendable {
    /// Creates a directory and its missing parents.
    func createDirectory(_ path: String) throws
    /// Names (not paths) of the entries of a directory.
    func listDirectory(_ path: String) throws -> [String]
    func fileExists(_ path: String) -> Bool
    func isDirectory(_ path: String) -> Bool
    func fileSize(_ path: String) throws -> Int
    /// Last modification time in milliseconds since the epoch (a file load's file version).
    func modificationMillis(_ path: String) throws -> Int64
    /// Reads a whole file.
    func readFile(_ path: String) throws -> [UInt8]
    /// Opens a file for positioned reads.
    func openForReading(_ path: String) throws -> any ReadableFile
    /// Creates (or truncates) a file for appending.
    func createFile(_ path: String) throws -> any WritableFile
    /// Atomically replaces `to` with `from` (durable after ``syncDirectory(_:)`` of the parent).
    func rename(_ from: String, to: String) throws
    func removeFile(_ path: String) throws
    /// Removes a directory and everything below it.
    func removeTree(_ path: String) throws
    /// Makes entry creations, renames and removals in `path` durable.
    func syncDirectory(_ path: String) throws
    /// Takes an exclusive advisory lock, failing at once if another process holds it.
    func lockFile(_ path: String) throws -> any FileLock
}

/// A file open for positioned reads.
package protocol ReadableFile: AnyObject, Sendable {
    var size: Int { get }
    func read(offset: Int, length: Int) throws -> [UInt8]
    func close()
}

/// A file open for appending.
package protocol WritableFile: AnyObject {
    /// Bytes written so far.
    var size: Int { get }
    func append(_ bytes: UnsafeRawBufferPointer) throws
    /// Makes everything appended so far durable (`fsync`).
    func sync() throws
    /// Cuts the file back to `length` bytes (≤ ``size``); later appends continue from there.
    /// Used to take back a partly written record after a failed write.
    func truncate(to length: Int) throws
    func close() throws
}

extension WritableFile {
    package func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }
}

/// A held lock; released by ``release()`` or when the process exits.
package protocol FileLock: AnyObject, Sendable {
    func release()
}

/// Path helpers (no Foundation `URL` in the engine).
package enum FilePath {
    package static func join(_ parts: String...) -> String { join(parts) }

    package static func join(_ parts: [String]) -> String {
        var result = ""
        for part in parts where !part.isEmpty {
            if result.isEmpty {
                result = part
            } else if result.hasSuffix("/") {
                result += part
            } else {
                result += "/" + part
            }
        }
        return result
    }

    package static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    package static func name(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
