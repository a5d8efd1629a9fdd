public import SluiceIO

/// The first rejected rows of a load with their reasons, written to the data directory's
/// `errors/` folder and served at the load's `ErrorURL`.
public struct ErrorLog: Sendable {
    public let limit: Int
    public private(set) var entries: [String] = []
    /// All rejected rows, including those beyond `limit`.
    public private(set) var rejected = 0

    public init(limit: Int = 50) { self.limit = limit }

    public mutating func record(reason: String, row: some Collection<UInt8>) {
        rejected += 1
        guard entries.count < limit else { return }
        var raw = Array(row)
        if raw.count > 4096 { raw = Array(raw.prefix(4096)) }
        entries.append("Error: \(reason). Row: \(String(decoding: raw, as: UTF8.self))")
    }

    /// Writes the log as `errors/<name>` and returns the name (nil when nothing was rejected).
    public func write(fileSystem: any FileSystem, directory: String, name: String) throws -> String? {
        guard !entries.isEmpty else { return nil }
        let file = try fileSystem.createFile(FilePath.join(directory, name))
        try file.append(Array((entries.joined(separator: "\n") + "\n").utf8))
        try file.sync()
        try file.close()
        return name
    }

    /// Whether `name` is a name this type writes (guards the HTTP route against path tricks).
    public static func isValidName(_ name: String) -> Bool {
        name.hasPrefix("error_log_") && name.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c | 0x20 >= 97 && c | 0x20 <= 122) || c == 95 || c == 45
        }
    }
}
