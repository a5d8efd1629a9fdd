import SluiceIO
import SluiceTesting
import Testing

@Suite struct RecordLogTests {
    @Test func readsBackRecordsAndStopsAtATornTail() throws {
        let fs = SimulatedFileSystem(seed: 3, tornWrites: true)
        try fs.createDirectory("/log")
        try fs.syncDirectory("/")
        let writer = try RecordLogWriter(fileSystem: fs, path: "/log/journal")
        try fs.syncDirectory("/log")
        for i in 0..<10 { try writer.append(type: UInt8(i), payload: Array(repeating: UInt8(i), count: 100 + i)) }
        try writer.sync()
        for i in 10..<20 { try writer.append(type: UInt8(i), payload: Array(repeating: UInt8(i), count: 100)) }
        fs.crash()
        let (records, valid) = try RecordLogReader.read(fileSystem: fs, path: "/log/journal")
        #expect(records.count >= 10)
        #expect(records.prefix(10).enumerated().allSatisfy { $0.element.type == UInt8($0.offset) && $0.element.payload.count == 100 + $0.offset })
        #expect(valid <= (try fs.fileSize("/log/journal")))
    }

    @Test func posixFileSystemLocksAndSyncs() throws {
        let fs = PosixFileSystem()
        let dir = "/tmp/sluice-io-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? fs.removeTree(dir) }
        try fs.createDirectory(dir + "/a/b")
        let file = try fs.createFile(dir + "/a/b/f")
        try file.append(Array("hello".utf8))
        try file.sync()
        try file.close()
        try fs.syncDirectory(dir + "/a/b")
        #expect(try fs.readFile(dir + "/a/b/f") == Array("hello".utf8))
        try fs.rename(dir + "/a/b/f", to: dir + "/a/g")
        #expect(try fs.listDirectory(dir + "/a") == ["b", "g"])
        let lock = try fs.lockFile(dir + "/LOCK")
        lock.release()
        let relock = try fs.lockFile(dir + "/LOCK")
        relock.release()
    }
}
