import Foundation
import SluiceServer
import SluiceStorage
import SluiceTesting
import Testing

/// Whether this process may mount a tmpfs (root with the capability, as CI runs).
let canMountTmpfs: Bool = {
    guard getuid() == 0 else { return false }
    let probe = makeTemporaryDirectory("sluice-mount-probe")
    defer { try? FileManager.default.removeItem(atPath: probe) }
    guard RealDiskFullTests.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe]) == 0 else {
        return false
    }
    return RealDiskFullTests.run("/bin/umount", [probe]) == 0
}()

/// D10 exactly as the probe ran it, on a real 20 MB tmpfs (the kernel's own ENOSPC and short
/// writes): a statement that fails on the full disk must not hide the writes acknowledged after
/// the disk has room again. Needs `mount`; skipped where it is not allowed.
@Suite(.serialized, .enabled(if: canMountTmpfs)) struct RealDiskFullTests {
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test(.timeLimit(.minutes(2)))
    func acknowledgedWritesSurviveAFullDisk() async throws {
        let mountPoint = makeTemporaryDirectory("sluice-tmpfs")
        #expect(Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=20m", "tmpfs", mountPoint]) == 0)
        defer {
            Self.run("/bin/umount", [mountPoint])
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        let directory = mountPoint + "/data"
        let server = try ServerProcess(dataDirectory: directory)
        let sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        _ = try await sql.execute("CREATE DATABASE d", database: nil)
        _ = try await sql.execute(
            "CREATE TABLE t (a BIGINT, b VARCHAR(8)) DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1", database: "d")
        #expect(try await sql.execute("INSERT INTO t VALUES (1, 'x')", database: "d").error == nil)
        // Fill the disk, then a large metadata record fails part-way.
        let filler = mountPoint + "/filler"
        #expect(FileManager.default.createFile(atPath: filler, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        let block = Data(count: 1 << 20)
        while (try? handle.write(contentsOf: block)) != nil {}
        try? handle.close()
        let wide = (0..<3_000).map { "c\($0) BIGINT" }.joined(separator: ", ")
        let failed = try await sql.execute(
            "CREATE TABLE wide (\(wide)) DUPLICATE KEY(c0) DISTRIBUTED BY HASH(c0) BUCKETS 1", database: "d")
        #expect(failed.error?.contains("No space left on device") == true, "\(failed)")
        try FileManager.default.removeItem(atPath: filler)
        #expect(try await sql.execute("INSERT INTO t VALUES (2, 'y')", database: "d").error == nil)
        let port = server.port
        let load = try await onDedicatedThread {
            try Curl.streamLoad(port: port, database: "d", table: "t", body: "3\tz\n4\tw\n")
        }
        #expect(load.string("Status") == "Success")
        #expect(server.terminate().status == 0)
        let restarted = try ServerProcess(dataDirectory: directory)
        let sql2 = SQLClient(host: "127.0.0.1", port: restarted.port, user: "root", password: "")
        #expect(try await sql2.execute("SELECT count(*), sum(a) FROM t", database: "d").rows == [["4", "10"]])
        #expect(restarted.output.contains("torn_bytes=0"))
        #expect(restarted.terminate().status == 0)
        #expect(try DataDirectoryCheck.run(path: directory).problems == [])
    }
}
