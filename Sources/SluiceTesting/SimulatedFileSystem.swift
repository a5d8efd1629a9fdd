package import SluiceIO
import Synchronization

/// An in-memory ``FileSystem`` that models what survives a power cut.
///
/// Each file has its current bytes and its durable bytes (as of its last `sync`); each directory
/// has its current entries and its durable entries (as of its last `syncDirectory`). ``crash()``
/// throws away everything not durable — unsynced appends, entries created, renamed or removed
/// since the directory's last sync — optionally keeping a random prefix of unsynced appends
/// (a torn write). Faults: ``failAfter(writes:count:shortWrites:)`` makes writes fail like ENOSPC,
/// optionally after storing part of their bytes.
package final class SimulatedFileSystem: FileSystem, Sendable {
    struct Node {
        var data: [UInt8] = []
        var durable: [UInt8] = []
        /// The simulated clock's value at the last change (modification time, in milliseconds).
        var modified: Int64 = 0
    }

    struct Directory {
        /// name → node id (files) or nil for subdirectories (tracked in `directories`).
        var entries: [String: Int] = [:]
        var durableEntries: [String: Int] = [:]
        var subdirectories: Set<String> = []
        var durableSubdirectories: Set<String> = []
    }

    struct State {
        var nodes: [Int: Node] = [:]
        var nextNode = 1
        /// Advances by one millisecond per change: modification times are distinct and ordered.
        var clockMillis: Int64 = 1_700_000_000_000
        var directories: [String: Directory] = ["/": Directory()]
        /// Removed directories, kept so a crash can resurrect an unsynced removal (as POSIX may).
        var removedDirectories: [String: Directory] = [:]
        var writesUntilFailure: Int?
        /// How many writes fail once `writesUntilFailure` runs out (then the disk has room again).
        var failingWrites = Int.max
        /// Whether a failing append first writes a seeded prefix of its bytes (a short write).
        var shortWrites = false
        /// Mutating operations allowed before the simulated process dies (nil = never).
        var operationsUntilCrash: Int?
        var crashed = false
        var locks: Set<String> = []
        var rng: UInt64
        var tornWrites: Bool
        var operations = 0
        var failedWrites = 0
        var writes = 0
        /// File syncs allowed before the next one fails like EIO (nil = never).
        var syncsUntilFailure: Int?
    }

    let state: Mutex<State>

    /// - Parameters:
    ///   - seed: drives torn-write lengths.
    ///   - tornWrites: whether ``crash()`` may keep part of unsynced appends.
    package init(seed: UInt64 = 1, tornWrites: Bool = true) {
        state = Mutex(State(rng: seed == 0 ? 1 : seed, tornWrites: tornWrites))
    }

    static func normalize(_ path: String) -> String {
        var parts = [String]()
        for part in path.split(separator: "/") where part != "." && !part.isEmpty { parts.append(String(part)) }
        return "/" + parts.joined(separator: "/")
    }

    static func split(_ path: String) -> (String, String) {
        let p = normalize(path)
        let parent = FilePath.parent(p)
        return (parent.isEmpty ? "/" : parent, FilePath.name(p))
    }

    /// Fails the write that comes after `writes` more successful ones, and the `count - 1`
    /// writes after it, like ENOSPC (`nil` clears the fault). With `shortWrites`, a failing
    /// append first stores a seeded prefix of its bytes, as a real short write does.
    package func failAfter(writes: Int?, count: Int = .max, shortWrites: Bool = false) {
        state.withLock {
            $0.writesUntilFailure = writes
            $0.failingWrites = count
            $0.shortWrites = shortWrites
        }
    }

    /// Fails the file sync that comes after `syncs` more successful ones (once), like an `fsync`
    /// that reports EIO: the data stays unsynced.
    package func failSync(after syncs: Int) {
        state.withLock { $0.syncsUntilFailure = syncs }
    }

    /// Writes (file creations, appends, renames) so far, failed ones included.
    package var writeCount: Int { state.withLock { $0.writes } }

    /// Writes that failed by ``failAfter(writes:count:shortWrites:)`` so far.
    package var failedWrites: Int { state.withLock { $0.failedWrites } }

    /// Makes the process "die" at the `operations`-th following mutating operation: it and every
    /// later one fail until ``crash()``.
    package func crashAfter(operations: Int?) {
        state.withLock { $0.operationsUntilCrash = operations }
    }

    /// Number of mutating operations so far (used to pick crash points).
    package var operationCount: Int { state.withLock { $0.operations } }

    /// Drops everything that was not made durable; releases locks (the process died).
    package func crash() {
        state.withLock { s in
            for (path, var dir) in s.directories {
                dir.entries = dir.durableEntries
                dir.subdirectories = dir.durableSubdirectories
                s.directories[path] = dir
            }
            // A removal that was not made durable is undone: the directory comes back as it was
            // last synced.
            var restored = true
            while restored {
                restored = false
                for (path, dir) in s.directories {
                    for name in dir.subdirectories {
                        let child = path == "/" ? "/" + name : path + "/" + name
                        guard s.directories[child] == nil else { continue }
                        var back = s.removedDirectories[child] ?? Directory()
                        back.entries = back.durableEntries
                        back.subdirectories = back.durableSubdirectories
                        s.directories[child] = back
                        restored = true
                    }
                }
            }
            s.removedDirectories.removeAll()
            // Directories that are not durable entries of their parent disappear with their content.
            var changed = true
            while changed {
                changed = false
                for path in s.directories.keys where path != "/" {
                    let (parent, name) = Self.split(path)
                    if s.directories[parent]?.subdirectories.contains(name) != true {
                        s.directories[path] = nil
                        changed = true
                    }
                }
            }
            for (id, var node) in s.nodes {
                if s.tornWrites, node.data.count > node.durable.count, node.data.starts(with: node.durable) {
                    s.rng = s.rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let extra = Int((s.rng >> 33) % UInt64(node.data.count - node.durable.count + 1))
                    node.data = Array(node.data[0..<(node.durable.count + extra)])
                } else {
                    node.data = node.durable
                }
                node.durable = node.data
                s.nodes[id] = node
            }
            s.locks.removeAll()
            s.crashed = false
            s.operationsUntilCrash = nil
        }
    }

    private func withDirectory<T>(_ path: String, _ body: (inout Directory, inout State) throws -> T) throws -> T {
        try state.withLock { s in
            let p = Self.normalize(path)
            guard var dir = s.directories[p] else { throw IOError(.notFound, "no such directory", path: path) }
            let result = try body(&dir, &s)
            s.directories[p] = dir
            return result
        }
    }

    /// Counts one mutating operation; fails it if the simulated process has died.
    private func tick(_ s: inout State, _ path: String) throws {
        if s.crashed { throw IOError(.io, "simulated crash", path: path) }
        s.operations += 1
        if let remaining = s.operationsUntilCrash {
            if remaining <= 0 {
                s.crashed = true
                throw IOError(.io, "simulated crash", path: path)
            }
            s.operationsUntilCrash = remaining - 1
        }
    }

    /// Counts one write; returns the ENOSPC error it must fail with, if any.
    private func consumeWrite(_ s: inout State, _ path: String) throws -> IOError? {
        try tick(&s, path)
        s.writes += 1
        guard let remaining = s.writesUntilFailure else { return nil }
        if remaining > 0 {
            s.writesUntilFailure = remaining - 1
            return nil
        }
        s.failedWrites += 1
        s.failingWrites -= 1
        if s.failingWrites <= 0 { s.writesUntilFailure = nil }
        return IOError(.noSpace, "write failed: No space left on device", path: path, errno: 28)
    }

    private func nextRandom(_ s: inout State, below bound: Int) -> Int {
        s.rng = s.rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return bound <= 0 ? 0 : Int((s.rng >> 33) % UInt64(bound))
    }

    package func createDirectory(_ path: String) throws {
        let p = Self.normalize(path)
        if p == "/" { return }
        let (parent, name) = Self.split(p)
        if state.withLock({ $0.directories[parent] == nil }) { try createDirectory(parent) }
        try state.withLock { s in
            if s.directories[p] != nil { return }
            guard s.directories[parent]?.entries[name] == nil else { throw IOError(.exists, "file exists", path: path) }
            try tick(&s, path)
            s.directories[parent]!.subdirectories.insert(name)
            s.directories[p] = Directory()
        }
    }

    package func listDirectory(_ path: String) throws -> [String] {
        try withDirectory(path) { dir, _ in (Array(dir.entries.keys) + dir.subdirectories).sorted() }
    }

    package func fileExists(_ path: String) -> Bool {
        let (parent, name) = Self.split(path)
        return state.withLock { s in
            s.directories[Self.normalize(path)] != nil || s.directories[parent]?.entries[name] != nil
        }
    }

    package func isDirectory(_ path: String) -> Bool {
        state.withLock { $0.directories[Self.normalize(path)] != nil }
    }

    private func node(_ path: String) throws -> Int {
        let (parent, name) = Self.split(path)
        return try state.withLock { s in
            guard let id = s.directories[parent]?.entries[name] else {
                throw IOError(.notFound, "no such file", path: path)
            }
            return id
        }
    }

    package func fileSize(_ path: String) throws -> Int {
        let id = try node(path)
        return state.withLock { $0.nodes[id]!.data.count }
    }

    package func modificationMillis(_ path: String) throws -> Int64 {
        let id = try node(path)
        return state.withLock { $0.nodes[id]!.modified }
    }

    package func readFile(_ path: String) throws -> [UInt8] {
        let id = try node(path)
        return state.withLock { $0.nodes[id]!.data }
    }

    package func openForReading(_ path: String) throws -> any ReadableFile {
        let id = try node(path)
        return SimulatedReadableFile(data: state.withLock { $0.nodes[id]!.data }, path: path)
    }

    package func createFile(_ path: String) throws -> any WritableFile {
        let (parent, name) = Self.split(path)
        let id = try withDirectory(parent) { dir, s -> Int in
            if let error = try consumeWrite(&s, path) { throw error }
            guard !dir.subdirectories.contains(name) else { throw IOError(.exists, "is a directory", path: path) }
            let id = s.nextNode
            s.nextNode += 1
            s.nodes[id] = Node()
            dir.entries[name] = id
            return id
        }
        return SimulatedWritableFile(fileSystem: self, node: id, path: path)
    }

    /// Appends at `offset` (the writer's idea of the end; bytes past it are a failed write's).
    func append(node: Int, offset: Int, bytes: UnsafeRawBufferPointer, path: String) throws {
        try state.withLock { s in
            let failure = try consumeWrite(&s, path)
            var data = s.nodes[node]!.data
            data.removeSubrange(min(offset, data.count)...)
            if let failure {
                if s.shortWrites { data.append(contentsOf: bytes.prefix(nextRandom(&s, below: bytes.count))) }
                s.nodes[node]!.data = data
                throw failure
            }
            data.append(contentsOf: bytes)
            s.nodes[node]!.data = data
            s.clockMillis += 1
            s.nodes[node]!.modified = s.clockMillis
        }
    }

    func truncate(node: Int, to length: Int, path: String) throws {
        try state.withLock { s in
            try tick(&s, path)
            s.nodes[node]!.data.removeSubrange(min(length, s.nodes[node]!.data.count)...)
            s.clockMillis += 1
            s.nodes[node]!.modified = s.clockMillis
        }
    }

    func sync(node: Int, path: String) throws {
        try state.withLock { s in
            try tick(&s, path)
            if let remaining = s.syncsUntilFailure {
                if remaining <= 0 {
                    s.syncsUntilFailure = nil
                    throw IOError(.io, "fsync failed: Input/output error", path: path, errno: 5)
                }
                s.syncsUntilFailure = remaining - 1
            }
            s.nodes[node]!.durable = s.nodes[node]!.data
        }
    }

    package func rename(_ from: String, to: String) throws {
        let (fromParent, fromName) = Self.split(from)
        let (toParent, toName) = Self.split(to)
        try state.withLock { s in
            if let error = try consumeWrite(&s, from) { throw error }
            guard let id = s.directories[fromParent]?.entries[fromName] else {
                throw IOError(.notFound, "no such file", path: from)
            }
            guard s.directories[toParent] != nil else { throw IOError(.notFound, "no such directory", path: to) }
            s.directories[fromParent]!.entries[fromName] = nil
            s.directories[toParent]!.entries[toName] = id
        }
    }

    package func removeFile(_ path: String) throws {
        let (parent, name) = Self.split(path)
        try withDirectory(parent) { dir, s in
            try tick(&s, path)
            dir.entries[name] = nil
        }
    }

    package func removeTree(_ path: String) throws {
        let p = Self.normalize(path)
        if !isDirectory(p) {
            try removeFile(p)
            return
        }
        let (parent, name) = Self.split(p)
        try state.withLock { s in
            try tick(&s, path)
            s.directories[parent]?.subdirectories.remove(name)
            for key in s.directories.keys where key == p || key.hasPrefix(p + "/") {
                s.removedDirectories[key] = s.directories[key]
                s.directories[key] = nil
            }
        }
    }

    package func syncDirectory(_ path: String) throws {
        try withDirectory(path) { dir, s in
            try tick(&s, path)
            dir.durableEntries = dir.entries
            dir.durableSubdirectories = dir.subdirectories
        }
        // A synced directory's own entry becomes durable only when its parent is synced; POSIX
        // semantics are the same, so nothing more to do.
    }

    package func lockFile(_ path: String) throws -> any FileLock {
        let p = Self.normalize(path)
        try state.withLock { s in
            guard s.locks.insert(p).inserted else {
                throw IOError(.locked, "data directory is in use by another process", path: path)
            }
        }
        return SimulatedLock(fileSystem: self, path: p)
    }

    func unlock(_ path: String) {
        _ = state.withLock { $0.locks.remove(path) }
    }
}

final class SimulatedReadableFile: ReadableFile, Sendable {
    let data: [UInt8]
    let path: String
    init(data: [UInt8], path: String) {
        self.data = data
        self.path = path
    }
    var size: Int { data.count }
    func read(offset: Int, length: Int) throws -> [UInt8] {
        guard offset >= 0, offset + length <= data.count else {
            throw IOError(.corruption, "unexpected end of file at offset \(offset)", path: path)
        }
        return Array(data[offset..<(offset + length)])
    }
    func close() {}
}

final class SimulatedWritableFile: WritableFile {
    let fileSystem: SimulatedFileSystem
    let node: Int
    let path: String
    private(set) var size = 0

    init(fileSystem: SimulatedFileSystem, node: Int, path: String) {
        self.fileSystem = fileSystem
        self.node = node
        self.path = path
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        try fileSystem.append(node: node, offset: size, bytes: bytes, path: path)
        size += bytes.count
    }

    func truncate(to length: Int) throws {
        precondition(length >= 0 && length <= size, "truncate beyond the end of \(path)")
        try fileSystem.truncate(node: node, to: length, path: path)
        size = length
    }

    func sync() throws { try fileSystem.sync(node: node, path: path) }
    func close() throws {}
}

final class SimulatedLock: FileLock, Sendable {
    let fileSystem: SimulatedFileSystem
    let path: String
    init(fileSystem: SimulatedFileSystem, path: String) {
        self.fileSystem = fileSystem
        self.path = path
    }
    func release() { fileSystem.unlock(path) }
}
