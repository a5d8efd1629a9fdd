import Dispatch
import SluiceIO
import Synchronization

/// Encodes and writes segments on background threads while the load keeps parsing, so a load
/// uses more cores. At most `depth` flushes are in flight (each holds one tablet buffer), which
/// bounds memory to about (depth + 1) × the load's memory limit. Flushes of one tablet run in
/// order on that tablet's queue; different tablets' flushes run side by side.
final class SegmentFlusher: Sendable {
    private let queues = Mutex<[Int64: DispatchQueue]>([:])
    private let group = DispatchGroup()
    private let slots: DispatchSemaphore
    private let state = Mutex<State>(State())

    struct State {
        var written: [Int64: [SegmentMeta]] = [:]
        var error: (any Error)?
    }

    init(depth: Int = 1) { slots = DispatchSemaphore(value: max(1, depth)) }

    /// Queues `work` (blocks while `depth` flushes are already in flight).
    func submit(tablet: Int64, _ work: @escaping @Sendable () throws -> [SegmentMeta]) throws {
        try rethrowFailure()
        slots.wait()
        group.enter()
        let queue = queues.withLock { queues in
            if let queue = queues[tablet] { return queue }
            let queue = BackgroundWork.serialQueue(label: "sluice.segment-flush")
            queues[tablet] = queue
            return queue
        }
        queue.async { [self] in
            BackgroundWork.enter()
            defer {
                slots.signal()
                group.leave()
            }
            do {
                let segments = try work()
                state.withLock { $0.written[tablet, default: []].append(contentsOf: segments) }
            } catch {
                state.withLock { if $0.error == nil { $0.error = error } }
            }
        }
    }

    /// Waits for every queued flush; returns the segments per tablet, in index order.
    func drain() throws -> [Int64: [SegmentMeta]] {
        group.wait()
        try rethrowFailure()
        return state.withLock { $0.written.mapValues { $0.sorted { $0.index < $1.index } } }
    }

    /// Waits for every queued flush and forgets errors (used on abort).
    func cancel() {
        group.wait()
    }

    private func rethrowFailure() throws {
        if let error = state.withLock({ $0.error }) { throw error }
    }
}
