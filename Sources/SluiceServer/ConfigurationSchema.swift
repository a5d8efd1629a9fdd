import Foundation
import SluiceFormat

/// The keys a configuration file may hold and what each takes. Anything else is an error naming
/// the key and the nearest valid one: a typo (`http_prot`) or a wrong type must not pass silently.
package enum ConfigurationSchema {
    package enum Kind: Sendable {
        case integer, string, boolean, strings
    }

    package static let keys: [String: Kind] = [
        "data_dir": .string,
        "server.host": .string, "server.http_port": .integer, "server.query_port": .integer,
        "server.mysql_server_version": .string, "server.qe_max_connection": .integer,
        "server.max_allowed_packet": .integer, "server.idle_timeout_seconds": .integer,
        "server.shutdown_grace_seconds": .integer, "server.advertised_address": .string,
        "server.tls.cert_file": .string, "server.tls.key_file": .string, "server.tls.ca_file": .string,
        "server.require_secure_transport": .boolean, "server.max_http_connections": .integer,
        "server.header_timeout_seconds": .integer, "server.body_timeout_seconds": .integer,
        "server.max_header_bytes": .integer, "server.max_header_count": .integer,
        "server.max_user_connections": .integer, "sql.max_statement_bytes": .integer,
        "sql.max_expression_depth": .integer, "load.max_concurrent_loads": .integer,
        "load.total_memory_limit_bytes": .integer, "load.max_broker_load_job_concurrency": .integer,
        "load.source_commit_api": .boolean,
        "auth.root_password": .string, "auth.open_endpoints": .strings,
        "load.label_keep_max_second": .integer, "load.label_clean_interval_second": .integer,
        "load.error_log_reserve_hours": .integer, "load.streaming_load_max_mb": .integer,
        "load.memory_limit_bytes": .integer, "load.background_nice": .integer,
        "storage.compaction_threshold": .integer, "storage.max_rowsets_per_tablet": .integer,
        "storage.compaction_interval_ms": .integer, "storage.checkpoint_interval": .integer,
        "storage.group_commit": .boolean,
        "log.level": .string, "log.format": .string,
        "routine_load.max_concurrent_tasks": .integer, "routine_load.source_grace_seconds": .integer,
        "routine_load.test_batch_interval_ms": .integer, "routine_load.jobs": .strings,
        "sink.url": .string, "sink.user": .string, "sink.password": .string, "sink.api": .string,
        "sink.cluster_hosts": .strings, "sink.daemon_name": .string, "sink.max_batch_age_seconds": .integer,
        "sink.revoke_commit_deadline_ms": .integer, "sink.session_timeout_ms": .integer,
        "sink.interval_per_member_ms": .integer, "sink.transaction_timeout_seconds": .integer,
        "sink.prepared_timeout_seconds": .integer,
    ]

    package static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    package static let logFormats = ["text", "json"]

    /// Checks every key and value type of a JSON configuration file.
    package static func check(file: String) throws(ConfigurationError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ConfigurationError("cannot read the configuration file \(file): \(error.localizedDescription)")
        }
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ConfigurationError("\(file) is not valid JSON: \(error)")
        }
        guard case .object(let entries) = root else {
            throw ConfigurationError("\(file) must hold a JSON object (see config/sluice.json)")
        }
        try check(entries, prefix: "", file: file)
    }

    private static func check(_ entries: [String: JSONValue], prefix: String, file: String) throws(ConfigurationError) {
        for (name, value) in entries.sorted(by: { $0.key < $1.key }) {
            let key = prefix + name
            if case .object(let nested) = value, keys[key] == nil {
                guard keys.keys.contains(where: { $0.hasPrefix(key + ".") }) else { throw unknown(key, file) }
                try check(nested, prefix: key + ".", file: file)
                continue
            }
            guard let kind = keys[key] else { throw unknown(key, file) }
            let fits =
                switch (kind, value) {
                case (.integer, .number(let n)): n == n.rounded()
                case (.integer, .string(let s)): Int(s) != nil
                case (.string, .string): true
                case (.boolean, .bool): true
                case (.boolean, .string(let s)): ["true", "false"].contains(s.lowercased())
                case (.strings, .array(let items)): items.allSatisfy { if case .string = $0 { true } else { false } }
                default: false
                }
            guard fits else {
                let expected =
                    switch kind {
                    case .integer: "an integer"
                    case .string: "a string"
                    case .boolean: "true or false"
                    case .strings: "a list of strings"
                    }
                throw ConfigurationError("\(key) in \(file) must be \(expected), got \(value)")
            }
        }
    }

    private static func unknown(_ key: String, _ file: String) -> ConfigurationError {
        var message = "unknown configuration key '\(key)' in \(file)"
        if let nearest = nearest(to: key) { message += "; did you mean '\(nearest)'?" }
        return ConfigurationError(message + " (config/README.md lists every key)")
    }

    /// The known key closest to `key` (within a third of its length in edits), if any.
    package static func nearest(to key: String) -> String? {
        let scored = keys.keys.map { ($0, EditDistance.between(key, $0)) }.filter { $0.1 <= max(2, key.count / 3) }
        return scored.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }?.0
    }
}

/// A JSON document, kinds told apart exactly (a boolean is not a number).
enum JSONValue: Decodable, CustomStringConvertible {
    case bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue]), null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var description: String {
        switch self {
        case .bool(let b): "\(b)"
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? "\(Int64(n))" : "\(n)"
        case .string(let s): "'\(s)'"
        case .array: "a list"
        case .object: "an object"
        case .null: "null"
        }
    }
}
