import Foundation
import Logging
import SluiceFormat

/// `--log-format json`: one JSON object per line on standard error — `ts` (ISO 8601, UTC),
/// `level`, `logger` (the logger's label), `message`, and the metadata's keys — for log shippers.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("ts", Date().formatted(.iso8601)), ("level", event.level.rawValue), ("logger", label),
            ("message", "\(event.message)"),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key })
        where !["ts", "level", "logger", "message"].contains(key) {
            fields.append((key, "\(value)"))
        }
        let line = JSONObject.strings(fields) + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
