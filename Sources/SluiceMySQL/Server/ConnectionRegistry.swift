import Foundation
package import SluiceSQL
import Synchronization

/// One MySQL connection as the rest of the process sees it: who, where, what it runs, and how to
/// stop it. The connection's task updates it; SHOW PROCESSLIST and KILL read and act on it.
package final class ConnectionHandle: Sendable {
    package let id: Int64
    package let host: String
    package let startMicros: Int64
    private let close: @Sendable () -> Void

    private struct State {
        var user = ""
        var database: String?
        var statement: String?
        var since = Date()
        var cancellation: QueryCancellation?
    }

    private let state = Mutex(State())

    package init(id: Int64, host: String, close: @escaping @Sendable () -> Void) {
        self.id = id
        self.host = host
        self.startMicros = Int64(Date().timeIntervalSince1970 * 1_000_000)
        self.close = close
    }

    func loggedIn(user: String, database: String?) {
        state.withLock {
            $0.user = user
            $0.database = database
        }
    }

    /// A statement starts; `cancellation` stops it (KILL QUERY, disconnect).
    func begin(_ statement: String, database: String?, cancellation: QueryCancellation) {
        state.withLock {
            $0.statement = statement
            $0.database = database
            $0.since = Date()
            $0.cancellation = cancellation
        }
    }

    func end(database: String?) {
        state.withLock {
            $0.statement = nil
            $0.database = database
            $0.since = Date()
            $0.cancellation = nil
        }
    }

    /// Stops the running statement, if any (`KILL QUERY`).
    func killQuery() { state.withLock { $0.cancellation }?.kill() }

    /// Stops the running statement as abandoned (the client went away).
    func abandon() { state.withLock { $0.cancellation }?.cancel() }

    /// Closes the connection (`KILL`, shutdown); its running statement stops.
    func terminate() {
        killQuery()
        close()
    }

    var process: SessionProcess {
        state.withLock { s in
            SessionProcess(
                id: id, user: s.user, host: host, database: s.database, command: s.statement == nil ? "Sleep" : "Query",
                startMicros: startMicros, seconds: Int(Date().timeIntervalSince(s.since)),
                state: s.statement == nil ? "" : "OK", info: s.statement)
        }
    }
}

/// The process's MySQL connections: ids, the connection cap (`server.qe_max_connection`,
/// checked after authentication), a cap on connections still in the handshake, and the
/// directory behind SHOW PROCESSLIST and KILL.
package final class ConnectionRegistry: SessionDirectory {
    private struct State {
        var nextID: Int64 = 1
        var handshaking = 0
        var connections: [Int64: ConnectionHandle] = [:]
    }

    private let state = Mutex(State())
    package let maxConnections: Int
    /// Logged-in connections one user may hold (StarRocks' `max_user_connections`).
    package let maxUserConnections: Int
    package let maxHandshaking: Int

    package init(maxConnections: Int, maxUserConnections: Int = 100, maxHandshaking: Int = 256) {
        self.maxConnections = maxConnections
        self.maxUserConnections = maxUserConnections
        self.maxHandshaking = maxHandshaking
    }

    /// Why a logged-in connection was not registered.
    enum Refusal: Error {
        case tooMany
        case tooManyForUser
    }

    /// A new connection id for a socket starting its handshake, or nil when too many are.
    func reserve() -> Int64? {
        state.withLock { s in
            guard s.handshaking < maxHandshaking else { return nil }
            s.handshaking += 1
            defer { s.nextID += 1 }
            return s.nextID
        }
    }

    /// The handshake ended (logged in or not).
    func handshakeEnded() { state.withLock { $0.handshaking -= 1 } }

    /// Registers `user`'s logged-in connection. - Throws: over the connection caps.
    func register(_ handle: ConnectionHandle, user: String) throws(Refusal) {
        try state.withLock { (s) throws(Refusal) in
            guard s.connections.count < maxConnections else { throw .tooMany }
            guard s.connections.values.count(where: { $0.process.user == user }) < maxUserConnections else {
                throw .tooManyForUser
            }
            s.connections[handle.id] = handle
        }
    }

    func unregister(_ id: Int64) { _ = state.withLock { $0.connections.removeValue(forKey: id) } }

    package var count: Int { state.withLock { $0.connections.count } }

    package func processes() -> [SessionProcess] {
        state.withLock { Array($0.connections.values) }.map(\.process).sorted { $0.id < $1.id }
    }

    package func kill(_ id: Int64, queryOnly: Bool) -> Bool {
        guard let handle = state.withLock({ $0.connections[id] }) else { return false }
        if queryOnly { handle.killQuery() } else { handle.terminate() }
        return true
    }

    /// Closes every connection (shutdown).
    func closeAll() {
        for handle in state.withLock({ Array($0.connections.values) }) { handle.terminate() }
    }
}
