import SluiceFormat

/// A system variable's value.
package enum VariableValue: Sendable, Hashable {
    case int(Int64)
    case bool(Bool)
    case string(String)

    /// As `SHOW VARIABLES` renders it (booleans `true`/`false`, as StarRocks).
    package var text: String {
        switch self {
        case .int(let v): String(v)
        case .bool(let v): v ? "true" : "false"
        case .string(let v): v
        }
    }

    /// As `SELECT @@x` returns it: BIGINT for integers, BOOLEAN 0/1, VARCHAR text.
    var typed: (Value, ColumnType) {
        switch self {
        case .int(let v): (.int(v), .bigint)
        case .bool(let v): (.int(v ? 1 : 0), .boolean)
        case .string(let v): (.string(v), .varchar(length: max(1, v.utf8.count)))
        }
    }
}

/// One system variable (spec mysql-protocol §5): its default and where it may be set.
package struct SystemVariable: Sendable {
    package enum Settable: Sendable {
        /// `SET x` changes the session, `SET GLOBAL x` every new session.
        case sessionAndGlobal
        /// Only `SET GLOBAL`.
        case globalOnly
        /// Never.
        case readOnly
    }

    package var name: String
    package var defaultValue: VariableValue
    package var settable: Settable
    /// Accepted integer range, for integer variables.
    package var range: ClosedRange<Int64>?

    init(
        _ name: String, _ defaultValue: VariableValue, _ settable: Settable = .sessionAndGlobal,
        range: ClosedRange<Int64>? = nil
    ) {
        self.name = name
        self.defaultValue = defaultValue
        self.settable = settable
        self.range = range
    }
}

/// What the process says about itself: versions and ports (greeting, `@@version`,
/// `CURRENT_VERSION()`, SHOW FRONTENDS/BACKENDS).
package struct ServerIdentity: Sendable {
    /// The MySQL server version of the greeting and `@@version` (config `server.mysql_server_version`).
    package var serverVersion = "8.0.33"
    /// `@@version_comment`: this build's version.
    package var versionComment = "sluice-0.0.0"
    /// `CURRENT_VERSION()`: the StarRocks release whose behaviour Sluice follows, and the build.
    package var currentVersion = "3.5.0 sluice"
    package var host = "127.0.0.1"
    package var httpPort = 8030
    package var queryPort = 9030
    /// Process start, microseconds since the epoch.
    package var startMicros: Int64 = 0
    /// The host's time zone name (`@@system_time_zone`, default `@@time_zone`).
    package var systemTimeZone = "UTC"

    package init() {}
}

/// The variable registry: StarRocks' session and global variables that clients read on connect.
package enum SystemVariables {
    static let definitions: [SystemVariable] = [
        SystemVariable("version", .string(""), .readOnly),
        SystemVariable("version_comment", .string(""), .readOnly),
        SystemVariable("protocol_version", .int(10), .readOnly),
        SystemVariable("autocommit", .bool(true)),
        SystemVariable("auto_increment_increment", .int(1), range: 1...65535),
        SystemVariable("tx_isolation", .string("REPEATABLE-READ")),
        SystemVariable("transaction_isolation", .string("REPEATABLE-READ")),
        SystemVariable("tx_read_only", .bool(false)),
        SystemVariable("transaction_read_only", .bool(false)),
        SystemVariable("character_set_client", .string("utf8")),
        SystemVariable("character_set_connection", .string("utf8")),
        SystemVariable("character_set_results", .string("utf8")),
        SystemVariable("character_set_server", .string("utf8")),
        SystemVariable("character_set_database", .string("utf8")),
        SystemVariable("collation_connection", .string("utf8_general_ci")),
        SystemVariable("collation_database", .string("utf8_general_ci")),
        SystemVariable("collation_server", .string("utf8_general_ci")),
        SystemVariable("init_connect", .string(""), .globalOnly),
        SystemVariable("interactive_timeout", .int(3600), range: 1...31_536_000),
        SystemVariable("wait_timeout", .int(28800), range: 1...31_536_000),
        SystemVariable("net_write_timeout", .int(60), range: 1...31_536_000),
        SystemVariable("net_read_timeout", .int(60), range: 1...31_536_000),
        SystemVariable("net_buffer_length", .int(16384), .readOnly),
        SystemVariable("max_allowed_packet", .int(33_554_432), range: 1024...1_073_741_824),
        SystemVariable("license", .string("Apache License 2.0"), .readOnly),
        SystemVariable("language", .string("/starrocks/share/english/"), .readOnly),
        SystemVariable("lower_case_table_names", .int(0), .readOnly),
        SystemVariable("performance_schema", .bool(false), .readOnly),
        SystemVariable("query_cache_size", .int(1_048_576)),
        SystemVariable("query_cache_type", .int(0)),
        SystemVariable("sql_mode", .string("ONLY_FULL_GROUP_BY")),
        SystemVariable("system_time_zone", .string(""), .readOnly),
        SystemVariable("time_zone", .string("")),
        SystemVariable("sql_auto_is_null", .bool(false)),
        SystemVariable("sql_select_limit", .int(Int64.max), range: 0...Int64.max),
        SystemVariable("sql_safe_updates", .int(0), range: 0...1),
        SystemVariable("event_scheduler", .string("OFF"), .readOnly),
        SystemVariable("storage_engine", .string("olap")),
        SystemVariable("default_storage_engine", .string("olap")),
        SystemVariable("default_tmp_storage_engine", .string("olap")),
        SystemVariable("innodb_read_only", .bool(true), .readOnly),
        SystemVariable("div_precision_increment", .int(4), range: 0...30),
        SystemVariable("default_authentication_plugin", .string("mysql_native_password"), .readOnly),
        SystemVariable("authentication_policy", .string("mysql_native_password"), .readOnly),
        SystemVariable("activate_all_roles_on_login", .bool(false), .globalOnly),
        SystemVariable("query_timeout", .int(300), range: 1...259_200),
        SystemVariable("insert_timeout", .int(14400), range: 1...259_200),
        SystemVariable("enable_insert_strict", .bool(true)),
        SystemVariable("insert_max_filter_ratio", .string("0")),
        SystemVariable("exec_mem_limit", .int(2_147_483_648), range: 1...Int64.max),
        SystemVariable("query_mem_limit", .int(0), range: 0...Int64.max),
        SystemVariable("load_mem_limit", .int(0), range: 0...Int64.max),
        SystemVariable("parallel_fragment_exec_instance_num", .int(1), range: 1...1024),
        SystemVariable("pipeline_dop", .int(0), range: 0...1024),
        SystemVariable("forward_to_leader", .bool(false)),
        SystemVariable("transaction_visible_wait_timeout", .int(10), range: 0...86_400),
        SystemVariable("default_rowset_type", .string("alpha")),
        SystemVariable("group_concat_max_len", .int(1024), range: 4...Int64.max),
        SystemVariable("max_execution_time", .int(0), range: 0...Int64.max),
    ]

    static let byName: [String: SystemVariable] = Dictionary(
        uniqueKeysWithValues: definitions.map { ($0.name, $0) })

    /// Names MySQL tools `SET` that StarRocks lacks; accepted and ignored (never readable).
    static let ignoredOnSet: Set<String> = [
        "sql_log_bin", "foreign_key_checks", "unique_checks", "sql_notes", "optimizer_switch", "sql_quote_show_create",
        "session_track_schema", "session_track_state_change", "session_track_system_variables", "names",
        "character_set_filesystem", "sql_big_selects", "max_join_size", "long_query_time", "profiling",
    ]

    package static func definition(_ name: String) -> SystemVariable? { byName[name.lowercased()] }
}
