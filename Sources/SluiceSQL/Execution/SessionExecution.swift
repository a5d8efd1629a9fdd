import Foundation
import SluiceExpr
import SluiceFormat
import SluiceStorage

/// Runs the statements about the session and the server: SET, USE, KILL, transaction control,
/// SHOW VARIABLES / PROCESSLIST / FRONTENDS / … (spec mysql-protocol §4–§7).
struct SessionExecution {
    let engine: StorageEngine
    let globals: GlobalVariables
    let authorizer: Authorizer

    /// - Returns: the result set, or nil for statements answered with OK.
    func run(_ statement: Statement, session: inout Session) throws -> ResultSet? {
        switch statement {
        case .set(let assignments):
            let variables = SessionVariables(globals: globals)
            for assignment in assignments { try variables.set(assignment, session: &session) }
            return nil
        case .setIgnored, .transactionControl:
            return nil
        case .use(let name):
            try Self.use(name, engine: engine, authorizer: authorizer, session: &session)
            return nil
        case .kill(let id, let queryOnly):
            // Another user's connection takes SYSTEM OPERATE (one's own never does).
            if let target = session.directory?.processes().first(where: { $0.id == id }), target.user != session.user {
                try authorizer.require(.operate, on: .system)
            }
            guard session.directory?.kill(id, queryOnly: queryOnly) == true else {
                throw SQLError(.unknownThread, "Unknown thread id: \(id)")
            }
            return nil
        case .showVariables(let global, let filter):
            let rows = SessionVariables(globals: globals).all(global: global, session: session)
            return try ResultSet.strings(["Variable_name", "Value"], rows.map { [$0.0, $0.1.text] })
                .filtered(filter, session)
        case .showProcesslist(let full):
            return processlist(full: full, session: session)
        case .showServer(let show, let filter):
            return try server(show, session).filtered(filter, session)
        default:
            return nil
        }
    }

    /// `USE name` and COM_INIT_DB: `db`, `default_catalog.db` or `information_schema`.
    /// A database the user holds no privilege in is refused like StarRocks (ANY on DATABASE).
    static func use(_ name: String, engine: StorageEngine, authorizer: Authorizer, session: inout Session) throws {
        var database = name
        if let dot = name.firstIndex(of: "."), name[..<dot] == "default_catalog" {
            database = String(name[name.index(after: dot)...])
        }
        if SystemCatalog.isSystemDatabase(database) {
            session.database = SystemCatalog.schemaName
        } else {
            let resolved = try engine.database(database).name
            if !authorizer.sees(database: resolved) { try authorizer.require(.any, on: .database(resolved)) }
            session.database = resolved
        }
    }

    /// Every connection for SYSTEM OPERATE, else the user's own (MySQL's PROCESS rule).
    private func processlist(full: Bool, session: Session) -> ResultSet {
        let everyone = authorizer.operates
        let processes = (session.directory?.processes() ?? []).filter { everyone || $0.user == session.user }
        let rows: [[Value]] = processes.map { p in
            let info = p.info.map { full ? $0 : String($0.prefix(100)) }
            return [
                .string(globals.identity.host), .int(p.id), .string(p.user), .string(p.host),
                p.database.map { .string($0) } ?? .null, .string(p.command), .string(Self.dateTime(p.startMicros)),
                .int(Int64(p.seconds)), .string(p.state), info.map { .string($0) } ?? .null, .string(""),
                .string("default_warehouse"), .string(""), .string("default_catalog"), .string(""),
            ]
        }
        return ResultSet.table(
            [
                ("ServerName", .string), ("Id", .bigint), ("User", .string), ("Host", .string), ("Db", .string),
                ("Command", .string), ("ConnectionStartTime", .string), ("Time", .int), ("State", .string),
                ("Info", .string), ("IsPending", .string), ("Warehouse", .string), ("CNGroup", .string),
                ("Catalog", .string), ("QueryId", .string),
            ], rows)
    }

    private func server(_ show: ServerShow, _ session: Session) throws -> ResultSet {
        let identity = globals.identity
        switch show {
        case .warnings, .errors:
            return ResultSet.table([("Level", .string), ("Code", .int), ("Message", .string)], [])
        case .collation:
            return ResultSet.table(
                [
                    ("Collation", .string), ("Charset", .string), ("Id", .bigint), ("Default", .string),
                    ("Compiled", .string), ("Sortlen", .bigint),
                ],
                ServerCharsets.collations.map {
                    [.string($0.name), .string($0.charset), .int($0.id), .string("Yes"), .string("Yes"), .int(1)]
                })
        case .charset:
            return ResultSet.table(
                [("Charset", .string), ("Description", .string), ("Default collation", .string), ("Maxlen", .bigint)],
                ServerCharsets.charsets.map {
                    [.string($0.name), .string($0.description), .string($0.defaultCollation), .int($0.maxLength)]
                })
        case .engines:
            return ResultSet.strings(
                ["Engine", "Support", "Comment", "Transactions", "XA", "Savepoints"],
                ServerCharsets.engines.map { [$0.name, $0.support, $0.comment, "YES", "NO", "NO"] })
        case .plugins:
            return ResultSet.strings(
                [
                    "Name", "Type", "Description", "Version", "JavaVersion", "ClassName", "SoName", "Sources", "Status",
                    "Properties",
                ], [])
        case .privileges:
            let privileges: [(String, String, String)] = [
                ("SELECT", "TABLE", "read rows"), ("INSERT", "TABLE", "load and insert rows"),
                ("UPDATE", "TABLE", "update rows"), ("DELETE", "TABLE", "delete rows"),
                ("ALTER", "TABLE,DATABASE", "alter objects"), ("DROP", "TABLE,DATABASE", "drop objects"),
                ("CREATE TABLE", "DATABASE", "create tables"), ("CREATE DATABASE", "CATALOG", "create databases"),
                ("OPERATE", "SYSTEM", "operate the system"), ("GRANT", "SYSTEM", "manage users, roles and grants"),
            ]
            return ResultSet.strings(["Privilege", "Context", "Comment"], privileges.map { [$0.0, $0.1, $0.2] })
        case .status:
            let uptime = max(0, (session.nowMicros - identity.startMicros) / 1_000_000)
            let threads = session.directory?.processes().count ?? 0
            // mycli's `status` reads these together (Threads_connected implies the other three).
            let tables = engine.databaseNames().reduce(0) { $0 + ((try? engine.database($1).tables.count) ?? 0) }
            return ResultSet.strings(
                ["Variable_name", "Value"],
                [
                    ["Open_tables", String(tables)], ["Opened_tables", String(tables)], ["Slow_queries", "0"],
                    ["Threads_connected", String(threads)], ["Uptime", String(uptime)],
                ])
        case .frontends:
            return ResultSet.strings(
                [
                    "Name", "IP", "EditLogPort", "HttpPort", "QueryPort", "RpcPort", "Role", "ClusterId", "Join",
                    "Alive", "ReplayedJournalId", "LastHeartbeat", "IsHelper", "ErrMsg", "StartTime", "Version",
                ],
                [
                    [
                        "sluice_\(identity.host)_\(identity.queryPort)", identity.host, "0", String(identity.httpPort),
                        String(identity.queryPort), "0", "LEADER", "0", "true", "true", "0",
                        Self.dateTime(session.nowMicros), "true", "", Self.dateTime(identity.startMicros),
                        identity.versionComment,
                    ]
                ])
        case .backends:
            let tables = engine.databaseNames().flatMap { (try? engine.database($0))?.tables.values.map { $0 } ?? [] }
            let tablets = tables.flatMap(\.partitions).reduce(0) { $0 + $1.tablets.count }
            let cores = String(Foundation.ProcessInfo.processInfo.activeProcessorCount)
            return ResultSet.strings(
                [
                    "BackendId", "IP", "HeartbeatPort", "BePort", "HttpPort", "BrpcPort", "LastStartTime",
                    "LastHeartbeat", "Alive", "SystemDecommissioned", "ClusterDecommissioned", "TabletNum",
                    "DataUsedCapacity", "AvailCapacity", "TotalCapacity", "UsedPct", "MaxDiskUsedPct", "ErrMsg",
                    "Version", "Status", "DataTotalCapacity", "DataUsedPct", "CpuCores", "NumRunningQueries",
                    "MemUsedPct", "CpuUsedPct", "DataCacheMetrics", "Location",
                ],
                [
                    [
                        "10001", identity.host, "0", "0", String(identity.httpPort), "0",
                        Self.dateTime(identity.startMicros), Self.dateTime(session.nowMicros), "true", "false", "false",
                        String(tablets), "", "", "", "", "", "", identity.versionComment, "{}", "", "", cores,
                        String(session.directory?.processes().filter { $0.command == "Query" }.count ?? 0), "", "", "",
                        "",
                    ]
                ])
        case .frontendConfig:
            let entries: [(String, String, String)] = [
                ("run_mode", "shared_nothing", "String"), ("mysql_server_version", identity.serverVersion, "String"),
                ("query_port", String(identity.queryPort), "int"), ("http_port", String(identity.httpPort), "int"),
            ]
            return ResultSet.strings(
                ["Key", "AliasNames", "Value", "Type", "IsMutable", "Comment"],
                entries.map { [$0.0, "[]", $0.1, $0.2, "false", ""] })
        }
    }

    static func dateTime(_ micros: Int64) -> String {
        var out = [UInt8]()
        CivilTime.appendDateTime(micros - micros % 1_000_000, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
