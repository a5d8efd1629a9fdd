package import SluiceExpr
package import SluiceFormat
package import SluiceStorage

/// One client's state between statements: current database, user, session variables. The HTTP
/// SQL API makes one per request; a MySQL connection keeps one for its lifetime.
package struct Session: Sendable {
    package var database: String?
    package var timeZone: SessionTimeZone
    /// Statement start, microseconds since the epoch (UTC).
    package var nowMicros: Int64
    /// `host:port` the client reached (error-log URLs in SHOW output).
    package var address: String?
    /// `query_timeout`: seconds a SELECT may run. Default 300, as StarRocks.
    package var queryTimeoutSeconds = Session.defaultQueryTimeout
    /// `query_mem_limit`: bytes a query may hold (rows it gathers, groups). Default 2 GiB,
    /// StarRocks' `exec_mem_limit`.
    package var queryMemoryLimit = Session.defaultQueryMemoryLimit
    /// `enable_insert_strict`: a row INSERT cannot convert or store fails the statement (true,
    /// StarRocks' default) or is filtered out and counted as a warning (false).
    package var insertStrict = true
    /// Stops the statement when set (client gone, shutdown, `KILL QUERY`).
    package var cancellation: QueryCancellation?
    /// The identity the user logged in as (`CURRENT_USER()`; privileges are checked for it).
    package var identity = UserIdentity("root")
    /// The roles whose privileges count now: the user's default roles at login, then what
    /// `SET ROLE` chose (StarRocks: a granted role is inactive until set).
    package var activeRoles: Set<String> = ["root"]
    /// The logged-in user's name (`USER()`, SHOW PROCESSLIST).
    package var user: String { identity.name }
    /// The client's address without port (`USER()` renders `'user'@'host'`).
    package var clientHost = "127.0.0.1"
    /// The connection id (`CONNECTION_ID()`); 0 for HTTP requests.
    package var connectionID: Int64 = 0
    /// System variables this session set (lowercased name → value); the rest read through to
    /// the global value and then the default.
    package var variables: [String: VariableValue] = [:]
    /// User variables (`SET @x = 1`), by lowercased name.
    package var userVariables: [String: (value: Value, type: ColumnType?)] = [:]
    /// Other sessions of the process (SHOW PROCESSLIST, KILL); nil where there are none (HTTP).
    package var directory: (any SessionDirectory)?

    package static let defaultQueryTimeout = 300
    package static let defaultQueryMemoryLimit = 2_147_483_648

    package init(database: String? = nil, timeZone: SessionTimeZone = .utc, nowMicros: Int64, address: String? = nil) {
        self.address = address
        self.database = database
        self.timeZone = timeZone
        self.nowMicros = nowMicros
    }

    var evaluationContext: EvaluationContext { EvaluationContext(timeZone: timeZone, nowMicros: nowMicros) }
}

/// The sessions of a front door that keeps connections (the MySQL protocol): what SHOW
/// PROCESSLIST lists and KILL reaches.
package protocol SessionDirectory: Sendable {
    /// Every connection, in id order.
    func processes() -> [SessionProcess]
    /// Stops connection `id`'s running statement (`queryOnly`) or closes the connection.
    /// - Returns: false when no such connection exists.
    func kill(_ id: Int64, queryOnly: Bool) -> Bool
}

/// One row of SHOW PROCESSLIST.
package struct SessionProcess: Sendable, Hashable {
    package var id: Int64
    package var user: String
    /// `host:port` of the client.
    package var host: String
    package var database: String?
    /// `Sleep` or `Query`.
    package var command: String
    /// Connection start, microseconds since the epoch.
    package var startMicros: Int64
    /// Seconds in the current state.
    package var seconds: Int
    package var state: String
    /// The running statement's text, if any.
    package var info: String?

    package init(
        id: Int64, user: String, host: String, database: String?, command: String, startMicros: Int64, seconds: Int,
        state: String, info: String?
    ) {
        self.id = id
        self.user = user
        self.host = host
        self.database = database
        self.command = command
        self.startMicros = startMicros
        self.seconds = seconds
        self.state = state
        self.info = info
    }
}
