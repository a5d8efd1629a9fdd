import ArgumentParser
import Crypto
import Foundation
import SluiceFiles
import SluiceIO
import SluiceServer

/// `sluice load FILE|DIR|GLOB… --table db.t`: loads files into a table from a shell through the
/// server's Broker Load, one job per file version under a label derived from the file's path and
/// version (its modification time, or its S3 ETag) — running the same command again skips what
/// it loaded before, and a changed file loads again. A live progress bar on a terminal (bytes,
/// rows/s, ETA), one line per file otherwise.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load files into a table (Broker Load), exactly once per file version, with progress.")

    @Argument(help: "Files, directories or glob patterns: local paths (the server reads them) or s3://bucket/key.")
    var paths: [String]
    @Option(help: "Target table as db.table.") var table: String
    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server HTTP port.") var port = 8030
    @Option(help: "User name.") var user = "root"
    @Option(help: "Password.") var password = ""
    @Option(help: "csv, json or parquet (default: by extension).") var format: String?
    @Option(help: "CSV column separator (default \\t).") var columnSeparator: String?
    @Option(help: "CSV row delimiter (default \\n).") var rowDelimiter: String?
    @Option(help: "CSV header lines to skip in each file.") var skipHeader: Int?
    @Option(help: "The files' columns in order, comma-separated (default: the table's).") var columns: String?
    @Option(help: "Derived columns, e.g. \"score = tmp * 10\".") var set: String?
    @Option(name: .customLong("where"), help: "Rows to keep, e.g. \"score > 0\".") var filter: String?
    @Option(name: .customLong("property"), help: "A load property key=value (max_filter_ratio, timeout, …).")
    var properties: [String] = []
    @Option(name: .customLong("s3"), help: "An S3 property key=value (aws.s3.endpoint, aws.s3.access_key, …).")
    var s3: [String] = []
    @Option(help: "Label prefix of the jobs.") var labelPrefix = "sluice_load"

    func run() async throws {
        let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            throw ValidationError("--table takes db.table")
        }
        let (database, tableName) = (parts[0], parts[1])
        let s3Properties = try Self.keyValues(s3, option: "--s3")
        let loadProperties = try Self.keyValues(properties, option: "--property")
        let files: [ListedFile]
        do {
            files = try resolve(s3Properties)
        } catch {
            FileHandle.standardError.write(Data("ERROR: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let client = SQLClient(host: host, port: port, user: user, password: password)
        var jobs = files.map { file in
            LoadJob(file: file, label: "\(labelPrefix)_" + Self.digest("\(file.path)@\(file.version)@\(table)"))
        }
        for index in jobs.indices {
            let shown = try await client.execute("SHOW LOAD WHERE LABEL = \"\(jobs[index].label)\"", database: database)
            if let error = shown.error { throw Self.failure(error) }
            if let state = shown.rows.first?[2] ?? nil, state != "CANCELLED" {
                jobs[index].skipped = state == "FINISHED"
                continue
            }
            let statement = loadStatement(
                database: database, table: tableName, job: jobs[index], s3: s3Properties, properties: loadProperties)
            let submitted = try await client.execute(statement, database: database)
            if let error = submitted.error {
                guard error.contains("has already been used") else { throw Self.failure(error) }
                jobs[index].skipped = true
            }
        }
        let progress = LoadProgress(jobs: jobs, terminal: isatty(STDERR_FILENO) == 1)
        let start = ContinuousClock.now
        while true {
            let shown = try await client.execute(
                "SHOW LOAD WHERE LABEL LIKE \"\(labelPrefix)_\"", database: database)
            if let error = shown.error { throw Self.failure(error) }
            let done = progress.update(shown.rows, elapsed: ContinuousClock.now - start)
            if done { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        if !progress.finish(elapsed: ContinuousClock.now - start) { throw ExitCode(1) }
    }

    /// The LOAD LABEL statement of one file.
    func loadStatement(
        database: String, table: String, job: LoadJob, s3: [String: String], properties: [String: String]
    ) -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        let path = S3Location.isS3(job.file.path) ? job.file.path : "file://" + job.file.path
        var clause = "DATA INFILE(\(quoted(path))) INTO TABLE `\(table)`"
        if let columnSeparator { clause += " COLUMNS TERMINATED BY \(quoted(columnSeparator))" }
        if let rowDelimiter { clause += " ROWS TERMINATED BY \(quoted(rowDelimiter))" }
        if let format { clause += " FORMAT AS \(quoted(format))" }
        if let skipHeader { clause += " (skip_header = \(skipHeader))" }
        if let columns { clause += " (\(columns))" }
        if let set { clause += " SET (\(set))" }
        if let filter { clause += " WHERE \(filter)" }
        var sql = "LOAD LABEL `\(database)`.`\(job.label)` (\(clause)) WITH BROKER"
        if !s3.isEmpty {
            sql +=
                " ("
                + s3.sorted { $0.key < $1.key }.map { "\(quoted($0.key)) = \(quoted($0.value))" }
                .joined(separator: ", ") + ")"
        }
        if !properties.isEmpty {
            sql +=
                " PROPERTIES ("
                + properties.sorted { $0.key < $1.key }.map {
                    "\(quoted($0.key)) = \(quoted($0.value))"
                }.joined(separator: ", ") + ")"
        }
        return sql
    }

    /// The files the arguments name, each once, in order: a directory means the files directly in it.
    func resolve(_ s3Properties: [String: String]) throws -> [ListedFile] {
        let source = FileSource(fileSystem: PosixFileSystem(), properties: s3Properties)
        var locations = [String]()
        for path in paths {
            if S3Location.isS3(path) {
                locations.append(path.hasSuffix("/") ? path + "*" : path)
                continue
            }
            var absolute = path.hasPrefix("file://") ? String(path.dropFirst(7)) : path
            if !absolute.hasPrefix("/") { absolute = FileManager.default.currentDirectoryPath + "/" + absolute }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), isDirectory.boolValue {
                absolute = (absolute.hasSuffix("/") ? absolute : absolute + "/") + "*"
            }
            locations.append(absolute)
        }
        return try source.list(locations)
    }

    static func keyValues(_ pairs: [String], option: String) throws -> [String: String] {
        var result = [String: String]()
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "=") else { throw ValidationError("\(option) takes key=value") }
            result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return result
    }

    static func digest(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    static func failure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("ERROR: \(message)\n".utf8))
        return ExitCode(1)
    }
}

/// One file and its job.
struct LoadJob {
    var file: ListedFile
    var label: String
    /// Loaded by an earlier run (its label FINISHED).
    var skipped = false
}
