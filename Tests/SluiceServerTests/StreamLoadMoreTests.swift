import Foundation
import SluiceServer
import SluiceTesting
import Testing

/// Compression, size checks before the body, concurrency and label retention.
@Suite(.serialized) struct StreamLoadMoreTests {
    static func gzip(_ text: String) throws -> URL {
        let plain = URL(fileURLWithPath: NSTemporaryDirectory() + "sluice-gz-\(UInt64.random(in: 0...UInt64.max)).csv")
        try Data(text.utf8).write(to: plain)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-f", plain.path]
        try process.run()
        process.waitUntilExit()
        return URL(fileURLWithPath: plain.path + ".gz")
    }

    @Test(.timeLimit(.minutes(2)))
    func gzipBodiesAndSizeChecksBeforeTheBody() async throws {
        let (directory, server, sql) = try await startServer(tables: [
            "CREATE TABLE t (id INT, s VARCHAR(20)) DISTRIBUTED BY HASH(id) BUCKETS 2"
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = (0..<50_000).map { "\($0),row\($0)\n" }.joined()
        let file = try Self.gzip(text)
        defer { try? FileManager.default.removeItem(at: file) }
        let url = "http://127.0.0.1:\(server.port)/api/db/t/_stream_load"
        for header in ["compression: gzip", "Content-Encoding: gzip"] {
            let r = try Curl.run(["-u", "root:", "-H", "column_separator: ,", "-H", header, "-T", file.path, url])
            #expect(r.string("Status") == "Success", "\(header): \(r.body)")
            #expect(r.int("NumberLoadedRows") == 50_000)
        }
        // Two gzip members back to back (`cat a.gz b.gz`) decode as one stream.
        let twice = try Data(contentsOf: file) + Data(contentsOf: file)
        let concatenated = try Curl.run(
            ["-u", "root:", "-H", "column_separator: ,", "-H", "compression: gzip", "-T", "-", url], stdin: twice)
        #expect(concatenated.int("NumberLoadedRows") == 100_000)
        let corrupt = try Curl.run(
            ["-u", "root:", "-H", "column_separator: ,", "-H", "compression: gzip", "-T", "-", url],
            stdin: Data("not gzip at all".utf8))
        #expect(corrupt.string("Status") == "Fail")
        #expect(corrupt.string("Message")?.contains("not valid compressed data") == true)
        #expect(try await sql.execute("SELECT count(*) FROM t", database: "db").rows == [["200000"]])

        // E13: a JSON body announced over 100 MB is refused before a byte of it is read.
        let socket = try RawHTTP(port: server.port)
        try socket.send(
            "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cm9vdDo=\r\nformat: json\r\nExpect: 100-continue\r\nContent-Length: 200000000\r\n\r\n"
        )
        let answer = socket.receive()
        socket.close()
        #expect(
            answer.contains(
                "The size of this batch exceed the max size [104857600]  of json type data  data [ 200000000 ]. Set ignore_json_size to skip the check"
            ))
        #expect(!answer.contains("100 Continue"))
        #expect(server.terminate().status == 0)
    }

    @Test(.timeLimit(.minutes(3)))
    func concurrentLoadsAreEachAtomic() async throws {
        let (directory, server, sql) = try await startServer(
            tables: ["a", "b"].map { "CREATE TABLE \($0) (load INT, i INT) DISTRIBUTED BY HASH(i) BUCKETS 3" })
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = server.port
        // 24 loads at once; every third one has a bad row and must leave nothing behind.
        let outcomes = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for n in 0..<24 {
                group.addTask {
                    let bad = n % 3 == 0
                    let body = (0..<2000).map { "\(n),\($0)\n" }.joined() + (bad ? "\(n),oops\n" : "")
                    let r = try Curl.streamLoad(
                        port: port, database: "db", table: n % 2 == 0 ? "a" : "b", body: body,
                        headers: ["label": "c\(n)", "column_separator": ",", "strict_mode": "true"])
                    return (n, r.string("Status"))
                }
            }
            var all = [(Int, String?)]()
            for try await outcome in group { all.append(outcome) }
            return all
        }
        for (n, status) in outcomes { #expect(status == (n % 3 == 0 ? "Fail" : "Success"), "load \(n)") }
        for table in ["a", "b"] {
            let rows = try await sql.execute(
                "SELECT load, count(*) FROM \(table) GROUP BY load ORDER BY load", database: "db"
            ).rows
            let expected = (0..<24).filter { ($0 % 2 == 0) == (table == "a") && $0 % 3 != 0 }.map {
                [String($0), "2000"]
            }
            #expect(rows == expected)
        }
        #expect(server.terminate().status == 0)
    }

    @Test(.timeLimit(.minutes(2)))
    func labelsCanBeReusedAfterTheirRetention() async throws {
        let (directory, server, sql) = try await startServer(
            tables: ["CREATE TABLE t (i INT)"],
            environment: [
                "SLUICE_LOAD_LABEL_KEEP_MAX_SECOND": "1", "SLUICE_LOAD_LABEL_CLEAN_INTERVAL_SECOND": "1",
            ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try Curl.streamLoad(
            port: server.port, database: "db", table: "t", body: "1\n", headers: ["label": "keep"])
        #expect(first.string("Status") == "Success")
        let clash = try Curl.streamLoad(
            port: server.port, database: "db", table: "t", body: "1\n", headers: ["label": "keep"])
        #expect(clash.string("Status") == "Label Already Exists")
        var reused = ""
        try Eventually.until(timeout: .seconds(60), poll: .milliseconds(100)) {
            reused =
                try Curl.streamLoad(
                    port: server.port, database: "db", table: "t", body: "2\n", headers: ["label": "keep"]
                )
                .string("Status") ?? ""
            return reused == "Success"
        }
        #expect(reused == "Success")
        #expect(try await sql.execute("SELECT count(*) FROM t", database: "db").rows == [["2"]])
        #expect(server.terminate().status == 0)
    }
}
