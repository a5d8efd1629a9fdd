import Foundation
import SluiceFormat

/// Reads a source's batches ahead on a thread of its own, so decoding pages overlaps the query's
/// work on the previous batch (two cores for one scan). At most ``depth`` batches wait.
///
/// The reader runs until the source ends, fails or ``cancel()`` is called; the query always
/// cancels when it is done with the source, so no reader outlives its query.
final class BatchPrefetcher: @unchecked Sendable {
    typealias Batch = (columns: [ColumnVector], rows: Int)
    // @unchecked: every field below is guarded by `condition`.
    private let condition = NSCondition()
    private var ready: [Result<Batch?, any Error>] = []
    private var cancelled = false
    private let depth: Int

    /// Starts reading with `read` (called on the prefetch thread only).
    init(depth: Int = 2, read: @escaping @Sendable () throws -> Batch?) {
        self.depth = depth
        let thread = Thread { [self] in
            while true {
                condition.lock()
                while ready.count >= depth, !cancelled { condition.wait() }
                if cancelled {
                    condition.unlock()
                    return
                }
                condition.unlock()
                let result = Result { try read() }
                condition.lock()
                ready.append(result)
                condition.broadcast()
                condition.unlock()
                if case .success(.some) = result { continue }
                return
            }
        }
        thread.name = "sluice.scan-prefetch"
        thread.start()
    }

    /// The next batch, nil at the end; rethrows the source's error.
    func next() throws -> Batch? {
        condition.lock()
        while ready.isEmpty { condition.wait() }
        let result = ready.removeFirst()
        if case .success(nil) = result { ready.insert(result, at: 0) }  // stays at the end
        condition.broadcast()
        condition.unlock()
        return try result.get()
    }

    /// Stops the reader (it finishes the batch it is reading, then exits).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
