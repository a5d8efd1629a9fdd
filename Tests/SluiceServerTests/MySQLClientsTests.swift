import Foundation
import SluiceIO
import SluiceTesting
import Testing

/// Real MySQL clients against `sluice serve`'s query port: Debian's `mysql` (MariaDB client),
/// mycli, PyMySQL, mysql-connector-python (pure and C extension), mysqlclient and SQLAlchemy's
/// starrocks dialect, as scripts/install-deps.sh installs them.
@Suite struct MySQLClientsTests {
    /// Runs a program; returns its exit status, standard output and standard error.
    static func run(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        try await BlockingIO.run {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let output = out.fileHandleForReading.readDataToEndOfFile()
            let error = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (
                process.terminationStatus, String(decoding: output, as: UTF8.self),
                String(decoding: error, as: UTF8.self)
            )
        }
    }

    @Test func mysqlCommandLineClient() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let port = String(server.port)
        let banner = try await Self.run([
            "mysql", "-h127.0.0.1", "-P\(port)", "-uroot", "-prootpw", "-N", "-e", "select @@version_comment limit 1",
        ])
        #expect(banner.status == 0, "\(banner.err)")
        #expect(banner.out.hasSuffix("-sluice\n"), "\(banner.out)")
        let denied = try await Self.run([
            "mysql", "-h127.0.0.1", "-P\(port)", "-uroot", "-pwrong", "-e", "select 1",
        ])
        #expect(denied.status == 1)
        #expect(denied.err.contains("ERROR 1045 (28000): Access denied for user 'root' (using password: YES)"))
        let session = try await Self.run([
            "mysql", "-h127.0.0.1", "-P\(port)", "-uroot", "-prootpw", "demo", "-e",
            "insert into t values (9,'z',9.99,'2024-05-06 07:08:09',true); select id, name, score from t where id = 9; "
                + "select database(); show tables",
        ])
        #expect(session.status == 0, "\(session.err)")
        #expect(session.out.contains("9\tz\t9.99"), "\(session.out)")
        #expect(session.out.contains("demo\n"))
        let failing = try await Self.run([
            "mysql", "-h127.0.0.1", "-P\(port)", "-uroot", "-prootpw", "demo", "-e", "SELEC 1",
        ])
        #expect(failing.status == 1)
        #expect(failing.err.contains("ERROR 1064 (42000)"), "\(failing.err)")
        #expect(failing.err.contains("Getting syntax error at line 1, column 1."), "\(failing.err)")
    }

    /// mycli (PyMySQL underneath) runs a query and its `status` command (spec scenario 19: the
    /// server version line needs `protocol_version`, the statistics line SHOW GLOBAL STATUS).
    @Test func mycli() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let port = String(server.port)
        let arguments = ["mycli", "-h", "127.0.0.1", "-P", port, "-u", "root", "-p", "rootpw", "-D", "demo", "-e"]
        let select = try await Self.run(arguments + ["select 1 as one"])
        #expect(select.status == 0, "\(select.out)\(select.err)")
        #expect(select.out.contains("1"), "\(select.out)")
        let status = try await Self.run(arguments + ["status"])
        #expect(status.status == 0, "\(status.out)\(status.err)")
        #expect(status.out.contains("Server version:"), "\(status.out)\(status.err)")
        #expect(status.out.contains("8.0.33"), "\(status.out)")
        #expect(status.out.contains("Slow queries: 0"), "\(status.out)")
    }

    @Test func pythonDrivers() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = freeTCPPort()
        let server = try await BlockingIO.run {
            try ServerProcess(dataDirectory: directory, arguments: ["--query-port", String(port)])
        }
        defer { server.terminate() }
        let script = ExamplesTests.root.appendingPathComponent("scripts/mysql/client-check.py").path
        let result = try await Self.run(["python3", script, String(port)])
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(result.out.contains("all checks passed"), "\(result.out)\(result.err)")
    }
}
