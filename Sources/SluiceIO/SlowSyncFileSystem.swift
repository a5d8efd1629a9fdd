import Foundation

/// A file system whose `fsync`s take at least `syncDelay` longer than the one it wraps: how a disk
/// without a power-loss-protected cache behaves (1–10 ms per flush), reproduced on machines whose
/// virtual disks acknowledge a flush in a fraction of a millisecond. Used by the commit benchmark
/// to show what sharing one journal sync saves where syncs are slow.
package struct SlowSyncFileSystem: FileSystem {
    package let base: any FileSystem
    package let syncDelay: Duration

    package init(base: any FileSystem, syncDelay: Duration) {
        self.base = base
        self.syncDelay = syncDelay
    }

    func delay() {
        let c = syncDelay.components
        var request = timespec(tv_sec: Int(c.seconds), tv_nsec: Int(c.attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }

    package func createDirectory(_ path: String) throws { try base.createDirectory(path) }
    package func listDirectory(_ path: String) throws -> [String] { try base.listDirectory(path) }
    package func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    package func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    package func fileSize(_ path: String) throws -> Int { try base.fileSize(path) }
    package func readFile(_ path: String) throws -> [UInt8] { try base.readFile(path) }
    package func openForReading(_ path: String) throws -> any ReadableFile { try base.openForReading(path) }
    package func createFile(_ path: String) throws -> any WritableFile {
        SlowSyncFile(base: try base.createFile(path), fileSystem: self)
    }
    package func rename(_ from: String, to: String) throws { try base.rename(from, to: to) }
    package func removeFile(_ path: String) throws { try base.removeFile(path) }
    package func removeTree(_ path: String) throws { try base.removeTree(path) }
    package func syncDirectory(_ path: String) throws {
        try base.syncDirectory(path)
        delay()
    }
    package func lockFile(_ path: String) throws -> any FileLock { try base.lockFile(path) }
}

final class SlowSyncFile: WritableFile {
    let base: any WritableFile
    let fileSystem: SlowSyncFileSystem

    init(base: any WritableFile, fileSystem: SlowSyncFileSystem) {
        self.base = base
        self.fileSystem = fileSystem
    }

    var size: Int { base.size }
    func append(_ bytes: UnsafeRawBufferPointer) throws { try base.append(bytes) }
    func sync() throws {
        try base.sync()
        fileSystem.delay()
    }
    func truncate(to length: Int) throws { try base.truncate(to: length) }
    func close() throws { try base.close() }
}
