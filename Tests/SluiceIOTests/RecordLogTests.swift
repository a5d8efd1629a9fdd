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
        let log = try RecordLogReader.read(fileSystem: fs, path: "/log/journal")
        let (records, valid) = (log.records, log.validLength)
        #expect(log.corruptionOffset == nil)
        #expect(records.count >= 10)
        #expect(
            records.prefix(10).enumerated().allSatisfy {
                $0.element.type == UInt8($0.offset) && $0.element.payload.count == 100 + $0.offset
            })
        #expect(valid <= (try fs.fileSize("/log/journal")))
    }

    /// D10: a short write that fails (ENOSPC) is cut back, so the records appended after it are
    /// read back after a crash.
    @Test func aFailedAppendLeavesNoPartialFrame() throws {
        for seed in SeededRandom.seedFromEnvironment(default: 11)..<(SeededRandom.seedFromEnvironment(default: 11) + 20)
        {
            let fs = SimulatedFileSystem(seed: seed)
            try fs.createDirectory("/log")
            try fs.syncDirectory("/")
            let writer = try RecordLogWriter(fileSystem: fs, path: "/log/journal")
            try fs.syncDirectory("/log")
            try writer.append(type: 1, payload: Array(repeating: 1, count: 50))
            try writer.sync()
            fs.failAfter(writes: 0, count: 1, shortWrites: true)
            #expect(throws: IOError.self) { try writer.append(type: 2, payload: Array(repeating: 2, count: 3_000)) }
            #expect(fs.failedWrites == 1)
            try writer.append(type: 3, payload: Array(repeating: 3, count: 40))
            try writer.sync()
            fs.crash()
            let log = try RecordLogReader.read(fileSystem: fs, path: "/log/journal")
            #expect(log.records.map(\.type) == [1, 3], "seed \(seed)")
            #expect(log.tornBytes == 0 && log.corruptionOffset == nil, "seed \(seed)")
        }
    }

    /// A torn frame with intact frames after it is damage, told apart from a torn tail.
    @Test func aTornFrameFollowedByIntactOnesIsCorruption() throws {
        let fs = SimulatedFileSystem(seed: 5, tornWrites: false)
        try fs.createDirectory("/log")
        let good = try RecordLogWriter(fileSystem: fs, path: "/log/good")
        for i in 0..<3 { try good.append(type: UInt8(i), payload: Array(repeating: UInt8(i), count: 30)) }
        try good.sync()
        let frames = try fs.readFile("/log/good")
        let frameLength = frames.count / 3
        // The shape the old writer left: frame 0, half of frame 1, then frame 2.
        let damaged = try fs.createFile("/log/damaged")
        try damaged.append(Array(frames[0..<(frameLength + frameLength / 2)]) + Array(frames[(2 * frameLength)...]))
        let log = try RecordLogReader.read(fileSystem: fs, path: "/log/damaged")
        #expect(log.records.count == 1)
        #expect(log.corruptionOffset == frameLength)
        #expect(log.framesAfterCorruption == 1)
        // A torn tail alone is not corruption.
        let tail = try fs.createFile("/log/tail")
        try tail.append(Array(frames[0..<(2 * frameLength + 5)]))
        let tailLog = try RecordLogReader.read(fileSystem: fs, path: "/log/tail")
        #expect(tailLog.records.count == 2 && tailLog.tornBytes == 5 && tailLog.corruptionOffset == nil)
    }

    @Test func posixFileSystemLocksAndSyncs() throws {
        let fs = PosixFileSystem()
        let dir = "/tmp/sluice-io-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? fs.removeTree(dir) }
        try fs.createDirectory(dir + "/a/b")
        let file = try fs.createFile(dir + "/a/b/f")
        try file.append(Array("hello".utf8))
        try file.append(Array(" world".utf8))
        try file.truncate(to: 5)
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
