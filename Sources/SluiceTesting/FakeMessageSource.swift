import Foundation
package import SluiceRoutineLoad

/// An in-memory topic for Routine Load tests: partitions of messages, retention (a raised low
/// watermark) and broker outages, shared by every source the factory opens.
// @unchecked: `state` is guarded by `condition`.
package final class FakeTopic: MessageSourceFactory, @unchecked Sendable {
    struct Partition {
        var messages: [[UInt8]] = []
        var low: Int64 = 0
    }

    struct State {
        var partitions: [Partition]
        var down = false
        /// Calls refused because the broker was down.
        var refusedCalls = 0
        /// Polls that found nothing new (the consumer is caught up).
        var emptyPolls = 0
        /// Offset probes sent (each a broker round trip for a real source).
        var probes = 0
        /// Counts changes a waiting poll cares about (messages, retention, outages).
        var generation = 0
    }

    // Guards `state`; broadcast on every change, so waiting consumers and tests wake at once.
    private let condition = NSCondition()
    private var state: State

    package init(partitions: Int) {
        state = State(partitions: Array(repeating: Partition(), count: partitions))
    }

    private func withLock<T>(_ body: (inout State) throws -> T) rethrows -> T {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return try body(&state)
    }

    /// Blocks until `predicate` holds over (refused calls, empty polls), or `timeout` passes;
    /// returns whether it held. Tests use it to know the consumer has tried — instead of sleeping.
    @discardableResult
    package func wait(
        timeout: Duration = .seconds(30), until predicate: (_ refusedCalls: Int, _ emptyPolls: Int) -> Bool
    ) -> Bool {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        condition.lock()
        defer { condition.unlock() }
        while !predicate(state.refusedCalls, state.emptyPolls) {
            if !condition.wait(until: deadline) { return predicate(state.refusedCalls, state.emptyPolls) }
        }
        return true
    }

    /// Calls refused so far because the broker was down.
    package var refusedCalls: Int { withLock { $0.refusedCalls } }
    /// Polls so far that found nothing new.
    package var emptyPolls: Int { withLock { $0.emptyPolls } }
    /// Offset probes so far.
    package var probes: Int { withLock { $0.probes } }

    fileprivate func countProbe() { withLock { $0.probes += 1 } }

    /// Appends messages to a partition; returns the offset of the first.
    @discardableResult
    package func produce(partition: Int32, _ payloads: [String]) -> Int64 {
        withLock { s in
            s.generation += 1
            let first = Int64(s.partitions[Int(partition)].messages.count)
            s.partitions[Int(partition)].messages.append(contentsOf: payloads.map { Array($0.utf8) })
            return first
        }
    }

    /// Deletes messages below `offset` (retention).
    package func deleteBefore(partition: Int32, offset: Int64) {
        withLock {
            $0.partitions[Int(partition)].low = offset
            $0.generation += 1
        }
    }

    /// Broker outage: every call fails with a transient error while down.
    package func setDown(_ down: Bool) {
        withLock {
            $0.down = down
            $0.generation += 1
        }
    }

    package func endOffsets() -> [Int32: Int64] {
        withLock { s in
            Dictionary(
                uniqueKeysWithValues: s.partitions.enumerated().map {
                    (Int32($0.offset), Int64($0.element.messages.count))
                })
        }
    }

    /// Refuses settings whose value is `invalid`; knows only the settings people mean most often
    /// (standing in for librdkafka's check, which knows its own).
    @discardableResult
    package func checkSettings(_ settings: [String: String]) throws(SourceSettingError) -> [String] {
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) where value == "invalid" {
            throw SourceSettingError(
                key: key, value: value, reason: "Invalid value \"\(value)\" for configuration property \"\(key)\"")
        }
        let known = Set(RoutineLoadManager.commonSettings)
        return settings.keys.filter { !known.contains($0) }.sorted()
    }

    package func makeSource(brokers: String, topic: String, groupID: String, settings: [String: String]) throws
        -> any MessageSource
    {
        FakeSource(topic: self)
    }

    /// Runs `body` over the partitions, or refuses (counted) while the broker is down.
    fileprivate func withState<T>(_ body: (inout [Partition]) throws -> T) throws -> T {
        try withLock { s in
            if s.down {
                s.refusedCalls += 1
                throw SourceError(.transient, "broker down")
            }
            return try body(&s.partitions)
        }
    }

    /// Waits up to `milliseconds` for a change (new messages, an outage ending) after a poll
    /// that found nothing, the way a broker long-polls; counts the empty poll.
    fileprivate func awaitChange(milliseconds: Int) {
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        condition.lock()
        state.emptyPolls += 1
        let generation = state.generation
        condition.broadcast()
        while state.generation == generation, condition.wait(until: deadline) {}
        condition.unlock()
    }
}

final class FakeSource: MessageSource {
    let topic: FakeTopic
    var cursors: [Int32: Int64] = [:]

    init(topic: FakeTopic) { self.topic = topic }

    func partitions() throws -> [Int32] {
        try topic.withState { partitions in
            (0..<partitions.count).map(Int32.init)
        }
    }

    func watermarks(partition: Int32) throws -> (low: Int64, high: Int64) {
        try topic.withState { partitions in
            let p = partitions[Int(partition)]
            return (p.low, Int64(p.messages.count))
        }
    }

    func cachedHighWatermark(partition: Int32) -> Int64? { try? watermarks(partition: partition).high }

    func probe(partition: Int32, timeoutMilliseconds: Int) throws {
        topic.countProbe()
        _ = try watermarks(partition: partition)
    }

    func assign(_ starts: [Int32: Int64]) throws { cursors = starts }

    func poll(maxMessages: Int, timeoutMilliseconds: Int) throws -> MessageBatch {
        var batch = MessageBatch()
        try topic.withState { partitions in
            for (partition, cursor) in cursors.sorted(by: { $0.key < $1.key }) {
                let p = partitions[Int(partition)]
                if cursor < p.low {
                    throw SourceError(
                        .offsetOutOfRange(partition: partition), "Offset out of range: partition \(partition)")
                }
                var offset = cursor
                while offset < Int64(p.messages.count), batch.count < maxMessages {
                    p.messages[Int(offset)].withUnsafeBytes {
                        batch.append(
                            partition: partition, offset: offset, timestamp: 1_700_000_000_000 + offset, payload: $0)
                    }
                    offset += 1
                }
                cursors[partition] = offset
            }
        }
        if batch.count == 0 { topic.awaitChange(milliseconds: min(timeoutMilliseconds, 20)) }
        return batch
    }
}
