import ArgumentParser
import CEdit
import Foundation
import SluiceServer

/// `sluice sql`: runs statements on a running server over the HTTP SQL API — one given as the
/// argument, a script (`-f FILE`, or standard input), or interactively at a terminal. Statements
/// end with `;`, or `\G` for vertical output; `USE db` carries over to the following ones.
struct SQL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run SQL statements on a running server (argument, -f FILE, standard input, or interactive).")

    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server HTTP port.") var port = 8030
    @Option(help: "User name.") var user = "root"
    @Option(help: "Password.") var password = ""
    @Option(name: [.customShort("d"), .long], help: "Database for unqualified table names.") var database: String?
    @Option(name: [.customShort("f"), .customLong("file")], help: "Run the statements of this file.") var file: String?
    @Option(help: "Output: table (default at a terminal), tsv (default otherwise) or json (one object per row).")
    var format: OutputFormat?
    @Flag(help: "Keep going after a failed statement (scripts stop at the first error by default).")
    var force = false
    @Argument(help: "Statements; read from -f, standard input, or interactively when omitted.") var query: String?

    func run() async throws {
        let format = self.format ?? (isatty(STDOUT_FILENO) == 1 ? .table : .tsv)
        var session = SQLSession(
            client: SQLClient(host: host, port: port, user: user, password: password), database: database,
            format: format)
        if let query {
            try await session.runScript(query, force: force)
        } else if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                FileHandle.standardError.write(Data("ERROR: cannot read \(file)\n".utf8))
                throw ExitCode(2)
            }
            try await session.runScript(text, force: force)
        } else if isatty(STDIN_FILENO) == 1 {
            try await session.interactive()
        } else {
            let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            try await session.runScript(text, force: force)
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, tsv, json

    var layout: ResultPrinter.Layout {
        switch self {
        case .table: .table
        case .tsv: .tsv
        case .json: .json
        }
    }
}

/// One client session: the current database, the output format, and the statements run.
struct SQLSession {
    let client: SQLClient
    var database: String?
    let format: OutputFormat

    /// Runs every statement of `text`; stops at the first failure (exit 1) unless `force`.
    mutating func runScript(_ text: String, force: Bool) async throws {
        var failed = false
        for statement in StatementSplitter.split(text) {
            let ok = try await run(statement)
            if !ok {
                failed = true
                if !force { break }
            }
        }
        if failed { throw ExitCode(1) }
    }

    /// A prompt per statement, with line editing and history (libedit; kept in
    /// `~/.sluice_history`); `quit`, `exit`, `\\q` or end of input leaves.
    mutating func interactive() async throws {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        let history = home + "/.sluice_history"
        using_history()
        _ = read_history(history)
        var pending = ""
        while true {
            guard let raw = readline(pending.isEmpty ? "sluice> " : "     -> ") else { break }
            let line = String(cString: raw)
            free(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty, ["quit", "exit", "\\q"].contains(trimmed.lowercased().trimmingCharacters(in: [";"])) {
                break
            }
            pending += (pending.isEmpty ? "" : "\n") + line
            guard StatementSplitter.isComplete(pending) else { continue }
            let entry = pending.replacingOccurrences(of: "\n", with: " ")
            if !entry.trimmingCharacters(in: .whitespaces).isEmpty {
                add_history(entry)
                _ = write_history(history)
            }
            let statements = StatementSplitter.split(pending)
            pending = ""
            for statement in statements { _ = try await run(statement) }
        }
        print()
    }

    /// Runs one statement and prints its result. - Returns: false when it failed.
    mutating func run(_ statement: StatementSplitter.Statement) async throws -> Bool {
        let response: SQLClient.Response
        do {
            response = try await client.execute(statement.text, database: database)
        } catch {
            FileHandle.standardError.write(
                Data(
                    "ERROR: cannot reach server at \(client.host):\(client.port) (\(error)); is `sluice serve` running there? (--host, --port)\n"
                        .utf8))
            throw ExitCode(2)
        }
        if let error = response.error {
            FileHandle.standardError.write(Data("ERROR (HTTP \(response.status)): \(error)\n".utf8))
            return false
        }
        if let name = StatementSplitter.usedDatabase(statement.text) { database = name }
        if !response.columns.isEmpty {
            let layout: ResultPrinter.Layout = statement.vertical ? .vertical : format.layout
            print(ResultPrinter.render(columns: response.columns, rows: response.rows, format: layout), terminator: "")
        }
        if let affected = response.statistics["affectedRows"] { print("\(affected) rows affected") }
        return true
    }
}
