import Synchronization

/// Set by whoever owns a running statement's client (the HTTP route when the request task is
/// cancelled, shutdown) to stop the statement at its next batch.
package final class QueryCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    package init() {}
    package func cancel() { flag.store(true, ordering: .relaxed) }
    package var isCancelled: Bool { flag.load(ordering: .relaxed) }
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
