import SluiceIO
package import SluiceStorage

/// The async edge of loading: each call makes the one hop to the blocking executor
/// (``BlockingIO``), so HTTP handlers and services never run a journal fsync, a segment flush or
/// a wait for the converter on the cooperative pool.
extension LoadService {
    /// ``begin(database:table:label:options:configure:)`` off the cooperative pool.
    package func beginLoad(
        database: String, table: String, label: String, options: LoadOptions,
        configure: @escaping @Sendable (inout LoadOptions, TableMeta) throws -> Void = { _, _ in }
    ) async -> Result<RunningLoad, LoadResultFailure> {
        await Self.blocking {
            self.begin(database: database, table: table, label: label, options: options, configure: configure)
        }
    }

    /// Runs `body` on the blocking executor; it cannot throw, so neither does this.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        // BlockingIO.run only rethrows what `body` throws: nothing here.
        try! await BlockingIO.run(.background, body)
    }
}

extension RunningLoad {
    /// ``abort(_:code:)`` off the cooperative pool (it waits for the converter and journals).
    package func abortLoad(_ reason: String, code: LoadError.Code? = nil) async -> LoadResult {
        await LoadService.blocking { self.abort(reason, code: code) }
    }

    /// ``finish(_:)`` off the cooperative pool (segment flushes, the commit's fsync).
    package func finishLoad(_ completion: Completion = .commit) async -> LoadResult {
        await LoadService.blocking { self.finish(completion) }
    }
}

extension TransactionLoads {
    /// ``startLoad(database:label:table:signature:options:configure:)`` off the cooperative pool.
    package func startLoadAsync(
        database: String, label: String, table: String?, signature: String, options: LoadOptions,
        configure: @escaping @Sendable (inout LoadOptions, TableMeta) throws -> Void
    ) async -> Result<LoadTicket, TransactionOutcome> {
        await LoadService.blocking {
            self.startLoad(
                database: database, label: label, table: table, signature: signature, options: options,
                configure: configure)
        }
    }

    /// ``endLoad(_:failure:)`` off the cooperative pool.
    package func endLoadAsync(_ ticket: LoadTicket, failure: String? = nil) async -> TransactionOutcome {
        await LoadService.blocking { self.endLoad(ticket, failure: failure) }
    }
}
