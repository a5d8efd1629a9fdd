import Foundation

/// Why a pipe statement was refused; `message` is StarRocks' text where it has one.
package struct PipeError: Error, Sendable, CustomStringConvertible {
    package enum Code: Sendable, Equatable {
        case unknownDatabase, unknownPipe, alreadyExists, invalidArgument
    }

    package var code: Code
    package var message: String
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    package var description: String { message }
}

/// A pipe's `PROPERTIES` (`fe/.../load/pipe/LoadPipe.java`), matched case-insensitively.
package struct PipeProperties: Codable, Sendable, Hashable {
    package var autoIngest = true
    /// Seconds between listings of the source (at most 3600).
    package var pollIntervalSeconds = 300
    /// Bytes a task takes at most (the last file may overshoot).
    package var batchSize: Int64 = 1 << 30
    package var batchFiles = 256
    package var warehouse: String?
    /// `task.<session variable>` settings passed to each task.
    package var taskSettings: [String: String] = [:]
    /// The properties as given, keys lower-cased (SHOW's PROPERTIES).
    package var given: [String: String] = [:]

    package init() {}

    /// - Throws: ``PipeError`` `.invalidArgument`: `unsupported property: <key>` or a bad value.
    package init(_ raw: [String: String]) throws(PipeError) {
        try apply(raw)
    }

    /// Applies `raw` over the current values (ALTER PIPE … SET).
    package mutating func apply(_ raw: [String: String]) throws(PipeError) {
        var next = self
        for (key, value) in raw {
            let name = key.lowercased()
            switch name {
            case "auto_ingest":
                guard let flag = Bool(value.lowercased()) else {
                    throw PipeError(.invalidArgument, "Invalid auto_ingest: '\(value)': write true or false")
                }
                next.autoIngest = flag
            case "poll_interval":
                guard let seconds = Int(value), (1...3600).contains(seconds) else {
                    throw PipeError(
                        .invalidArgument, "Invalid poll_interval: '\(value)': write a number of seconds from 1 to 3600")
                }
                next.pollIntervalSeconds = seconds
            case "batch_size":
                guard let bytes = Self.volume(value), bytes > 0 else {
                    throw PipeError(
                        .invalidArgument, "Invalid batch_size: '\(value)': write a size such as 1GB or 100MB")
                }
                next.batchSize = bytes
            case "batch_files":
                guard let files = Int(value), files > 0 else {
                    throw PipeError(.invalidArgument, "Invalid batch_files: '\(value)': write a number of files ≥ 1")
                }
                next.batchFiles = files
            case "warehouse":
                next.warehouse = value
            default:
                guard name.hasPrefix("task."), name.count > 5 else {
                    throw PipeError(.invalidArgument, "unsupported property: \(key)")
                }
                next.taskSettings[String(name.dropFirst(5))] = value
            }
            next.given[name] = value
        }
        self = next
    }

    /// A data volume: bytes, or a number with B, K/KB, M/MB, G/GB, T/TB (1024-based).
    static func volume(_ text: String) -> Int64? {
        let upper = text.trimmingCharacters(in: .whitespaces).uppercased()
        let digits = upper.prefix { $0.isNumber }
        guard let number = Int64(digits) else { return nil }
        let unit = upper.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let shift: Int64
        switch unit {
        case "", "B": shift = 0
        case "K", "KB": shift = 10
        case "M", "MB": shift = 20
        case "G", "GB": shift = 30
        case "T", "TB": shift = 40
        default: return nil
        }
        let (value, overflow) = number.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : value
    }
}
