import Dispatch
import Foundation
import Logging
import SluiceStorage
import Synchronization

/// Runs one job while it is runnable: a scheduler thread resolves start offsets and planned
/// batches left by a crash, then one dedicated thread per task consumes its partitions. All
/// librdkafka calls happen on these threads, never on Swift's cooperative pool.
final class JobRunner: Sendable {
    let runtime: JobRuntime
    let manager: RoutineLoadManager
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchGroup()
    /// Broadcast by ``stop()`` so every ``pause(_:)`` wakes at once (no polling).
    private let wakeUp = NSCondition()

    init(runtime: JobRuntime, manager: RoutineLoadManager) {
        self.runtime = runtime
        self.manager = manager
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    func start() {
        spawn(name: "sluice-rl-\(runtime.id)") { self.schedule() }
    }

    /// Asks every thread to stop: batches still being formed are dropped, a batch being loaded
    /// finishes (commits or aborts).
    func stop() {
        wakeUp.lock()
        stopping.store(true, ordering: .relaxed)
        wakeUp.broadcast()
        wakeUp.unlock()
    }

    /// Waits for the threads; false on timeout.
    @discardableResult
    func join(timeout: Duration) -> Bool {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        return finished.wait(timeout: .now() + seconds) == .success
    }

    private func spawn(name: String, _ body: @escaping @Sendable () -> Void) {
        finished.enter()
        let thread = Thread {
            body()
            self.finished.leave()
        }
        thread.name = name
        thread.start()
    }

    /// Waits up to `duration`, waking as soon as the runner is stopped.
    func pause(_ duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let deadline = Date(timeIntervalSinceNow: seconds)
        wakeUp.lock()
        defer { wakeUp.unlock() }
        while !isStopping, wakeUp.wait(until: deadline) {}
    }

    // MARK: Scheduling (NEED_SCHEDULE → RUNNING)

    private func schedule() {
        var backoff = self.backoff
        while !isStopping {
            do {
                let groups = try prepareTasks()
                guard !isStopping else { return }
                manager.markRunning(runtime)
                for (index, partitions) in groups.enumerated() {
                    let task = PartitionTask(runner: self, index: index, partitions: partitions)
                    spawn(name: "sluice-rl-\(runtime.id)-\(index)") { task.run() }
                }
                return
            } catch let error as SourceError where error.kind == .transient {
                manager.note(
                    runtime, "Job failed to fetch all current partition with error [\(error.message)], retrying")
                pause(&backoff)
            } catch let error as SourceError {
                manager.fail(
                    runtime, ErrorReason(4, "Job failed to fetch all current partition with error [\(error.message)]"))
                return
            } catch let error as RoutineLoadError {
                manager.fail(runtime, ErrorReason(error.code == .notFound ? 4 : ErrorReason.tasksAbort, error.message))
                return
            } catch {
                manager.note(runtime, "scheduling failed: \(error), retrying")
                pause(&backoff)
            }
        }
    }

    /// Lists partitions, resolves start offsets, settles planned batches; returns the partition
    /// groups (partition `j` goes to task `j mod N`).
    private func prepareTasks() throws -> [[Int32]] {
        let definition = runtime.definition
        let properties = definition.properties
        let source = try manager.factory.makeSource(
            brokers: properties.brokerList, topic: properties.topic, groupID: definition.groupID,
            settings: try manager.runtimeSettings(definition))
        let available = try source.partitions()
        let partitions: [Int32]
        if let pinned = properties.partitions {
            for p in pinned where !available.contains(p) {
                throw RoutineLoadError(
                    .notFound, "there is a custom kafka partition \(p) which is invalid for topic \(properties.topic)")
            }
            partitions = pinned
        } else {
            partitions = available
        }
        guard !partitions.isEmpty else { throw SourceError(.transient, "topic \(properties.topic) has no partitions") }
        try resolveOffsets(source: source, partitions: partitions, definition: definition)
        try PlannedBatches(runner: self, source: source).settle()
        let count = max(
            1, min(partitions.count, properties.desiredConcurrentNumber, manager.options.maxConcurrentTasks))
        var groups = [[Int32]](repeating: [], count: count)
        for (j, p) in partitions.enumerated() { groups[j % count].append(p) }
        return groups
    }

    /// Turns pending start offsets (sentinels, ALTERed offsets) and never-read partitions into
    /// concrete positions, journaled; pauses on a position past the partition's end.
    private func resolveOffsets(source: any MessageSource, partitions: [Int32], definition: JobDefinition) throws {
        guard let job = manager.engine.sourceJob(id: runtime.id) else {
            throw RoutineLoadError(.notFound, "job was removed")
        }
        var resolved = [Int32: Int64]()
        var latest = [Int32: Int64]()
        for p in partitions {
            let marks = try source.watermarks(partition: p)
            latest[p] = marks.high
            let start =
                definition.pendingOffsets[p] ?? (job.position[p] == nil ? definition.properties.defaultOffset : nil)
            switch start {
            case .beginning?: resolved[p] = marks.low
            case .end?: resolved[p] = marks.high
            case .offset(let n)?: resolved[p] = n
            case nil: break
            }
        }
        if !resolved.isEmpty { try manager.engine.setSourcePosition(id: runtime.id, position: resolved) }
        if !definition.pendingOffsets.isEmpty {
            try manager.update(runtime) { $0.pendingOffsets = [:] }
        }
        manager.observe(runtime, latest: latest)
        let positions = manager.engine.sourceJob(id: runtime.id)?.position ?? [:]
        for p in partitions.sorted() {
            if let position = positions[p], let high = latest[p], position > high {
                throw RoutineLoadError(.invalidState, "partition \(p) offset \(position) has no data")
            }
        }
    }
}
