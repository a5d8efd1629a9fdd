import Logging
import ServiceLifecycle
import SluiceIO
import SluiceStorage

/// Merges small rowsets in the background, so many small loads keep version counts low.
struct CompactionService: Service {
    let engine: StorageEngine
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let merged = try await BlockingIO.run { [engine] in try engine.compactDueTablets() }
                if merged > 0 { logger.debug("compacted tablets", metadata: ["count": "\(merged)"]) }
            } catch {
                logger.warning("compaction failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
