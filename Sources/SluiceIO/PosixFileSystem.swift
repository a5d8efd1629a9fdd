#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real file system: POSIX calls with `fsync` and directory `fsync`.
package struct PosixFileSystem: FileSystem {
    package init() {}

    static func failure(_ operation: String, _ path: String, _ code: Int32 = errno) -> IOError {
        let kind: IOError.Code =
            switch code {
            case ENOENT: .notFound
            case EEXIST: .exists
            case ENOSPC, EDQUOT: .noSpace
            case EWOULDBLOCK: .locked
            default: .io
            }
        let reason = String(cString: strerror(code))
        return IOError(kind, "\(operation) failed: \(reason)", path: path, errno: code)
    }

    package func createDirectory(_ path: String) throws {
        if isDirectory(path) { return }
        let parent = FilePath.parent(path)
        if parent != path, parent != ".", parent != "/", !isDirectory(parent) { try createDirectory(parent) }
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw Self.failure("mkdir", path) }
    }

    package func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw Self.failure("opendir", path) }
        defer { closedir(dir) }
        var names = [String]()
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    package func fileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    package func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    package func fileSize(_ path: String) throws -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { throw Self.failure("stat", path) }
        return Int(st.st_size)
    }

    package func modificationMillis(_ path: String) throws -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw Self.failure("stat", path) }
        return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
    }

    package func readFile(_ path: String) throws -> [UInt8] {
        let file = try openForReading(path)
        defer { file.close() }
        return try file.read(offset: 0, length: file.size)
    }

    package func openForReading(_ path: String) throws -> any ReadableFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.failure("open", path) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let error = Self.failure("fstat", path)
            Glibc.close(fd)
            throw error
        }
        return PosixReadableFile(fd: fd, path: path, size: Int(st.st_size))
    }

    package func createFile(_ path: String) throws -> any WritableFile {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.failure("create", path) }
        return PosixWritableFile(fd: fd, path: path)
    }

    package func rename(_ from: String, to: String) throws {
        if Glibc.rename(from, to) != 0 { throw Self.failure("rename to \(to)", from) }
    }

    package func removeFile(_ path: String) throws {
        if unlink(path) != 0, errno != ENOENT { throw Self.failure("unlink", path) }
    }

    package func removeTree(_ path: String) throws {
        guard isDirectory(path) else {
            try removeFile(path)
            return
        }
        for name in try listDirectory(path) { try removeTree(FilePath.join(path, name)) }
        if rmdir(path) != 0, errno != ENOENT { throw Self.failure("rmdir", path) }
    }

    package func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.failure("open directory", path) }
        defer { Glibc.close(fd) }
        if fsync(fd) != 0 { throw Self.failure("fsync directory", path) }
    }

    package func lockFile(_ path: String) throws -> any FileLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.failure("open lock", path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            Glibc.close(fd)
            throw IOError(
                .locked, code == EWOULDBLOCK ? "data directory is in use by another process" : "flock failed",
                path: path, errno: code)
        }
        return PosixFileLock(fd: fd)
    }
}

final class PosixReadableFile: ReadableFile, @unchecked Sendable {
    // Safe: `fd` is immutable and `pread` is thread-safe.
    let fd: Int32
    let path: String
    let size: Int

    init(fd: Int32, path: String, size: Int) {
        self.fd = fd
        self.path = path
        self.size = size
    }

    func read(offset: Int, length: Int) throws -> [UInt8] {
        guard length > 0 else { return [] }
        var result = [UInt8](repeating: 0, count: length)
        var done = 0
        try result.withUnsafeMutableBytes { raw in
            while done < length {
                let n = pread(fd, raw.baseAddress! + done, length - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw PosixFileSystem.failure("pread", path)
                }
                if n == 0 {
                    throw IOError(.corruption, "unexpected end of file at offset \(offset + done)", path: path)
                }
                done += n
            }
        }
        return result
    }

    func close() { Glibc.close(fd) }
    deinit {}
}

final class PosixWritableFile: WritableFile {
    let fd: Int32
    let path: String
    private(set) var size = 0
    private var closed = false

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Writes at the tracked end (`pwrite`), so a write that failed half-way leaves ``size`` at
    /// the last complete append and the next append overwrites the partial bytes.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(size + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw PosixFileSystem.failure("write", path)
            }
            done += n
        }
        size += bytes.count
    }

    func truncate(to length: Int) throws {
        precondition(length >= 0 && length <= size, "truncate beyond the end of \(path)")
        if ftruncate(fd, off_t(length)) != 0 { throw PosixFileSystem.failure("ftruncate", path) }
        size = length
    }

    func sync() throws {
        if fsync(fd) != 0 { throw PosixFileSystem.failure("fsync", path) }
    }

    func close() throws {
        guard !closed else { return }
        closed = true
        if Glibc.close(fd) != 0 { throw PosixFileSystem.failure("close", path) }
    }

    deinit {
        if !closed { Glibc.close(fd) }
    }
}

final class PosixFileLock: FileLock, @unchecked Sendable {
    // Safe: released once, guarded by the caller's ownership of the data directory.
    private let fd: Int32
    init(fd: Int32) { self.fd = fd }
    func release() {
        flock(fd, LOCK_UN)
        Glibc.close(fd)
    }
}
