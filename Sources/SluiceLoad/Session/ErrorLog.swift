package import SluiceIO

/// The first rejected rows of a load with their reasons, written to the data directory's
/// `errors/` folder and served at the load's `ErrorURL`.
package struct ErrorLog: Sendable {
    package let limit: Int
    package private(set) var entries: [String] = []
    /// All rejected rows, including those beyond `limit`.
    package private(set) var rejected = 0

    package init(limit: Int = 50) { self.limit = limit }

    /// Raw rejected rows kept for `RejectedRecordPath` (`log_rejected_record_num`).
    package private(set) var records: [[UInt8]] = []
    package var recordLimit = 0
    /// Names where a rejected row came from (Routine Load: topic, partition, offset), if known.
    package var describeOrigin: (@Sendable ([UInt8]) -> String?)?
    /// Rows are binary (Avro payloads): shown as hex, not as text.
    package var binaryRows = false

    package mutating func record(reason: String, row: some Collection<UInt8>) {
        rejected += 1
        if records.count < recordLimit { records.append(Array(row)) }
        guard entries.count < limit else { return }
        var raw = Array(row)
        let origin = describeOrigin?(raw).map { ". Source: \($0)" } ?? ""
        if raw.count > 4096 { raw = Array(raw.prefix(4096)) }
        let text = binaryRows ? "hex " + Self.hex(raw.prefix(512)) : String(decoding: raw, as: UTF8.self)
        entries.append("Error: \(reason). Row: \(text)\(origin)")
    }

    static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes the log as `errors/<name>` and returns the name (nil when nothing was rejected).
    package func write(fileSystem: any FileSystem, directory: String, name: String) throws -> String? {
        guard !entries.isEmpty else { return nil }
        let file = try fileSystem.createFile(FilePath.join(directory, name))
        try file.append(Array((entries.joined(separator: "\n") + "\n").utf8))
        try file.sync()
        try file.close()
        return name
    }

    /// Writes the saved raw records (one per line) as `errors/<name>`; nil when none were saved.
    package func writeRecords(fileSystem: any FileSystem, directory: String, name: String) throws -> String? {
        guard !records.isEmpty else { return nil }
        let file = try fileSystem.createFile(FilePath.join(directory, name))
        var bytes = [UInt8]()
        for record in records {
            bytes.append(contentsOf: record)
            bytes.append(10)
        }
        try file.append(bytes)
        try file.sync()
        try file.close()
        return name
    }

    /// `error_log_<created seconds>_<txn hex>_t<table id>_<random hex>`: unguessable, dated for
    /// retention, and naming its table (only users who may read the table may read the log).
    package static func name(createdAt seconds: Int64, transactionID: Int64, tableID: Int64) -> String {
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return "error_log_\(seconds)_\(String(transactionID, radix: 16))_t\(tableID)_\(random)"
    }

    /// The table an error log named `name` is about; nil for names without one.
    package static func tableID(ofName name: String) -> Int64? {
        name.split(separator: "_").first { $0.hasPrefix("t") && $0.count > 1 }.flatMap { Int64($0.dropFirst()) }
    }

    /// Removes error logs in `directory` created before `cutoff` (seconds since the epoch;
    /// `load_error_log_reserve_hours`). - Returns: how many were removed.
    @discardableResult
    package static func removeExpired(fileSystem: any FileSystem, directory: String, before cutoff: Int64) -> Int {
        guard let names = try? fileSystem.listDirectory(directory) else { return 0 }
        var removed = 0
        for name in names where isValidName(name) {
            let parts = name.dropFirst("error_log_".count).split(separator: "_")
            guard let created = parts.first.flatMap({ Int64($0) }), created < cutoff else { continue }
            if (try? fileSystem.removeFile(FilePath.join(directory, name))) != nil { removed += 1 }
        }
        return removed
    }

    /// Whether `name` is a name this type writes (guards the HTTP route against path tricks).
    package static func isValidName(_ name: String) -> Bool {
        name.hasPrefix("error_log_")
            && name.utf8.allSatisfy { c in
                (c >= 48 && c <= 57) || (c | 0x20 >= 97 && c | 0x20 <= 122) || c == 95 || c == 45
            }
    }
}
