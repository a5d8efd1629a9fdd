import Foundation

/// A file system that runs `afterSync` with the path after every file and directory `fsync` of
/// the one it wraps, before the sync returns. The commit benchmark makes syncs slower with it
/// (``slowed(_:by:)``); tests hold a sync at a gate.
package struct SyncHookFileSystem: FileSystem {
    package let base: any FileSystem
    package let afterSync: @Sendable (String) -> Void

    package init(base: any FileSystem, afterSync: @escaping @Sendable (String) -> Void) {
        self.base = base
        self.afterSync = afterSync
    }

    /// `base` with every `fsync` taking at least `delay` longer: how a disk without a
    /// power-loss-protected cache behaves (1–10 ms per flush), reproduced on machines whose virtual
    /// disks acknowledge a flush in a fraction of a millisecond.
    package static func slowed(_ base: any FileSystem, by delay: Duration) -> SyncHookFileSystem {
        let c = delay.components
        let nanoseconds = c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
        return SyncHookFileSystem(base: base) { _ in
            var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
            var remaining = timespec()
            while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
        }
    }

    package func createDirectory(_ path: String) throws { try base.createDirectory(path) }
    package func listDirectory(_ path: String) throws -> [String] { try base.listDirectory(path) }
    package func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    package func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    package func fileSize(_ path: String) throws -> Int { try base.fileSize(path) }
    package func modificationMillis(_ path: String) throws -> Int64 { try base.modificationMillis(path) }
    package func readFile(_ path: String) throws -> [UInt8] { try base.readFile(path) }
    package func openForReading(_ path: String) throws -> any ReadableFile { try base.openForReading(path) }
    package func createFile(_ path: String) throws -> any WritableFile {
        SyncHookFile(base: try base.createFile(path), path: path, afterSync: afterSync)
    }
    package func rename(_ from: String, to: String) throws { try base.rename(from, to: to) }
    package func removeFile(_ path: String) throws { try base.removeFile(path) }
    package func removeTree(_ path: String) throws { try base.removeTree(path) }
    package func syncDirectory(_ path: String) throws {
        try base.syncDirectory(path)
        afterSync(path)
    }
    package func lockFile(_ path: String) throws -> any FileLock { try base.lockFile(path) }
}

final class SyncHookFile: WritableFile {
    let base: any WritableFile
    let path: String
    let afterSync: @Sendable (String) -> Void

    init(base: any WritableFile, path: String, afterSync: @escaping @Sendable (String) -> Void) {
        self.base = base
        self.path = path
        self.afterSync = afterSync
    }

    var size: Int { base.size }
    func append(_ bytes: UnsafeRawBufferPointer) throws { try base.append(bytes) }
    func sync() throws {
        try base.sync()
        afterSync(path)
    }
    func truncate(to length: Int) throws { try base.truncate(to: length) }
    func close() throws { try base.close() }
}
