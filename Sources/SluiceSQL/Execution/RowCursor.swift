import SluiceExpr
package import SluiceFormat

/// A statement's rows, pulled batch by batch so a large result never sits in memory: the MySQL
/// protocol writes each batch before asking for the next one.
///
/// Used by one thread at a time (each pull may hop threads; the owner orders them), hence
/// `@unchecked Sendable`. Close it when done, early or not: that stops the scan's read-ahead.
package final class RowCursor: @unchecked Sendable {
    package let columns: [ResultColumn]
    private var pull: () throws -> [ColumnVector]?
    private let finalStatistics: () -> QueryStatistics
    private var onClose: (() -> Void)?
    /// Checks the bytes ``collect()`` holds against the query's memory limit.
    private let checkHeld: (Int) throws -> Void

    init(
        columns: [ResultColumn], pull: @escaping () throws -> [ColumnVector]?,
        statistics: @escaping () -> QueryStatistics, close: @escaping () -> Void,
        checkHeld: @escaping (Int) throws -> Void = { _ in }
    ) {
        self.columns = columns
        self.pull = pull
        self.finalStatistics = statistics
        self.onClose = close
        self.checkHeld = checkHeld
    }

    /// A cursor over rows already computed.
    convenience init(_ result: ResultSet, statistics: QueryStatistics) {
        var batches = result.batches.makeIterator()
        self.init(columns: result.columns, pull: { batches.next() }, statistics: { statistics }, close: {})
    }

    deinit { onClose?() }

    /// The next non-empty batch (one vector per column), or nil at the end.
    /// - Throws: the statement's failure (timeout, KILL, memory limit, storage errors).
    package func next() throws(SQLError) -> [ColumnVector]? {
        do {
            return try LargeStack.run {
                while let batch = try pull() {
                    if (batch.first?.count ?? 0) > 0 { return batch }
                }
                return nil
            }
        } catch {
            close()
            throw SQLExecutor.translate(error)
        }
    }

    /// Scan statistics (complete once ``next()`` returned nil).
    package var statistics: QueryStatistics { finalStatistics() }

    /// Stops the statement's read-ahead; further pulls end.
    package func close() {
        onClose?()
        onClose = nil
        pull = { nil }
    }

    /// Every remaining row, collected (the HTTP API and tests), within the query's memory limit.
    package func collect() throws(SQLError) -> ResultSet {
        var batches = [[ColumnVector]]()
        var held = 0
        while let batch = try next() {
            batches.append(batch)
            held += batch.reduce(0) { $0 + $1.memoryFootprint }
            do {
                try checkHeld(held)
            } catch {
                close()
                throw SQLExecutor.translate(error)
            }
        }
        close()
        return ResultSet(columns: columns, batches: batches)
    }
}
