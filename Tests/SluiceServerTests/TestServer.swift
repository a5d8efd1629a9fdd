import Foundation
import SluiceServer
import SluiceTesting

/// Starts `sluice serve` on a fresh directory with database `db` and the given tables.
/// - Returns: the directory (the caller removes it), the server and an SQL client for it.
func startServer(
    tables: [String], environment: [String: String] = [:]
) async throws -> (directory: String, server: ServerProcess, sql: SQLClient) {
    let directory = makeTemporaryDirectory()
    let server = try ServerProcess(dataDirectory: directory, environment: environment)
    let sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
    _ = try await sql.execute("CREATE DATABASE db", database: nil)
    for ddl in tables { _ = try await sql.execute(ddl, database: "db") }
    return (directory, server, sql)
}
