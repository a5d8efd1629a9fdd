import Synchronization

/// Set by whoever owns a running statement's client (the HTTP route when the request task is
/// cancelled, shutdown, a MySQL connection that closed, `KILL QUERY`) to stop the statement at its
/// next batch.
package final class QueryCancellation: Sendable {
    /// 0 running, 1 client gone or shutdown, 2 killed.
    private let state = Atomic<Int>(0)
    package init() {}
    /// The client went away or the server is stopping.
    package func cancel() { _ = state.compareExchange(expected: 0, desired: 1, ordering: .relaxed) }
    /// `KILL QUERY`: the statement fails with "Query execution was interrupted".
    package func kill() { _ = state.compareExchange(expected: 0, desired: 2, ordering: .relaxed) }
    package var isCancelled: Bool { state.load(ordering: .relaxed) != 0 }
    package var isKilled: Bool { state.load(ordering: .relaxed) == 2 }
}

/// What one query may spend: wall time (`query_timeout`), memory (`query_mem_limit`) and the
/// client's patience (``QueryCancellation``). Checked once per batch, so a runaway query stops
/// within one batch of crossing a line.
struct QueryBudget {
    let timeoutSeconds: Int
    let memoryLimit: Int
    let cancellation: QueryCancellation?
    private let deadline: ContinuousClock.Instant
    private let clock = ContinuousClock()

    init(session: Session) {
        timeoutSeconds = session.queryTimeoutSeconds
        memoryLimit = session.queryMemoryLimit
        cancellation = session.cancellation
        deadline = clock.now.advanced(by: .seconds(session.queryTimeoutSeconds))
    }

    /// - Throws: ``SQLError`` `.timeout`, `.cancelled` or `.memoryLimit`.
    func check(memory: Int = 0) throws {
        if cancellation?.isKilled == true {
            throw SQLError(.killed, "Query execution was interrupted")
        }
        if cancellation?.isCancelled == true {
            throw SQLError(
                .cancelled, "Query execution was interrupted: the client went away or the server is stopping")
        }
        if clock.now >= deadline {
            throw SQLError(
                .timeout,
                "Query reached its timeout of \(timeoutSeconds) seconds, please increase the 'query_timeout' session "
                    + "variable and retry")
        }
        if memory > memoryLimit {
            throw SQLError(
                .memoryLimit,
                "Memory of query exceeded the limit of \(memoryLimit) bytes (query_mem_limit): add a WHERE or LIMIT, "
                    + "aggregate, or raise query_mem_limit")
        }
    }
}
