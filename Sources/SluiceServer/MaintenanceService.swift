import Logging
import ServiceLifecycle
import SluiceIO
import SluiceLoad
import SluiceRoutineLoad
import SluiceStorage
import SluiceTxn

/// Background upkeep: merges small rowsets (so many small loads keep version counts low), aborts
/// PREPARED transactions past their timeout, and forgets labels older than
/// `load.label_keep_max_second`.
struct MaintenanceService: Service {
    let engine: StorageEngine
    let transactions: TransactionManager
    let transactionLoads: TransactionLoads
    let routineLoad: RoutineLoadManager
    /// STOPPED/CANCELLED Routine Load jobs are forgotten this long after they ended.
    let jobKeep: Duration
    let interval: Duration
    /// Keys changed in a primary index before the maintenance pass writes its snapshot.
    static let indexSnapshotChanges = 100_000
    let labelCleanInterval: Duration
    /// Error logs older than this are removed (`load.error_log_reserve_hours`).
    let errorLogReserve: Duration
    let logger: Logger

    func run() async throws {
        let clock = ContinuousClock()
        var lastLabelClean = clock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Sweeps journal aborts and removes files: off the cooperative pool, in one hop.
            let cleanLabels = clock.now - lastLabelClean >= labelCleanInterval
            if cleanLabels { lastLabelClean = clock.now }
            try? await BlockingIO.run {
                [transactionLoads, transactions, engine, routineLoad, jobKeep, errorLogReserve] in
                transactionLoads.sweep()
                transactions.abortExpiredPrepared(nowSeconds: Int64(ContinuousClockEpoch.nowSeconds()))
                if cleanLabels {
                    engine.expireLabels()
                    routineLoad.removeExpiredJobs(keepSeconds: jobKeep.components.seconds)
                    ErrorLog.removeExpired(
                        fileSystem: engine.fileSystem, directory: engine.directory.errorsDirectory,
                        before: Int64(ContinuousClockEpoch.nowSeconds()) - errorLogReserve.components.seconds)
                }
            }
            do {
                let merged = try await BlockingIO.run { [engine] in try engine.compactDueTablets() }
                if merged > 0 { logger.debug("compacted tablets", metadata: ["count": "\(merged)"]) }
            } catch {
                logger.warning("compaction failed", metadata: ["error": "\(error)"])
            }
            // Primary indexes that changed a lot are written down, so a crash-restart reads them
            // back instead of rescanning every segment (clean shutdowns write all of them).
            _ = try? await BlockingIO.run(.background) { [engine] in
                engine.snapshotPrimaryIndexes(minimumChanges: Self.indexSnapshotChanges)
            }
            try? await Task.sleep(for: interval)
        }
    }
}
