import Foundation
public import SluiceRoutineLoad
import Synchronization

/// An in-memory topic for Routine Load tests: partitions of messages, retention (a raised low
/// watermark) and broker outages, shared by every source the factory opens.
public final class FakeTopic: MessageSourceFactory {
    struct Partition {
        var messages: [[UInt8]] = []
        var low: Int64 = 0
    }

    private let state: Mutex<(partitions: [Partition], down: Bool)>

    public init(partitions: Int) {
        state = Mutex((Array(repeating: Partition(), count: partitions), false))
    }

    /// Appends messages to a partition; returns the offset of the first.
    @discardableResult
    public func produce(partition: Int32, _ payloads: [String]) -> Int64 {
        state.withLock { s in
            let first = Int64(s.partitions[Int(partition)].messages.count)
            s.partitions[Int(partition)].messages.append(contentsOf: payloads.map { Array($0.utf8) })
            return first
        }
    }

    /// Deletes messages below `offset` (retention).
    public func deleteBefore(partition: Int32, offset: Int64) {
        state.withLock { $0.partitions[Int(partition)].low = offset }
    }

    /// Broker outage: every call fails with a transient error while down.
    public func setDown(_ down: Bool) { state.withLock { $0.down = down } }

    public func endOffsets() -> [Int32: Int64] {
        state.withLock { s in
            Dictionary(
                uniqueKeysWithValues: s.partitions.enumerated().map {
                    (Int32($0.offset), Int64($0.element.messages.count))
                })
        }
    }

    public func makeSource(brokers: String, topic: String, groupID: String, settings: [String: String]) throws
        -> any MessageSource
    {
        FakeSource(topic: self)
    }

    fileprivate func withState<T>(_ body: (inout [Partition], Bool) throws -> T) throws -> T {
        try state.withLock { s in
            try body(&s.partitions, s.down)
        }
    }
}

final class FakeSource: MessageSource {
    let topic: FakeTopic
    var cursors: [Int32: Int64] = [:]

    init(topic: FakeTopic) { self.topic = topic }

    func partitions() throws -> [Int32] {
        try topic.withState { partitions, down in
            if down { throw SourceError(.transient, "broker down") }
            return (0..<partitions.count).map(Int32.init)
        }
    }

    func watermarks(partition: Int32) throws -> (low: Int64, high: Int64) {
        try topic.withState { partitions, down in
            if down { throw SourceError(.transient, "broker down") }
            let p = partitions[Int(partition)]
            return (p.low, Int64(p.messages.count))
        }
    }

    func cachedHighWatermark(partition: Int32) -> Int64? { try? watermarks(partition: partition).high }

    func assign(_ starts: [Int32: Int64]) throws { cursors = starts }

    func poll(maxMessages: Int, timeoutMilliseconds: Int) throws -> MessageBatch {
        var batch = MessageBatch()
        try topic.withState { partitions, down in
            if down { throw SourceError(.transient, "broker down") }
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
        if batch.count == 0 {
            let pause = min(timeoutMilliseconds, 20)
            Thread.sleepMilliseconds(pause)
        }
        return batch
    }
}

extension Thread {
    static func sleepMilliseconds(_ ms: Int) { usleep(UInt32(ms * 1000)) }
}
