package import SluiceStorage
import Synchronization

/// Why a micro-batch closed (SHOW ROUTINE LOAD TASK's `BatchCloseReason`).
package enum BatchCloseReason: String, Sendable, Codable {
    /// `max_batch_rows` messages.
    case rows = "ROWS"
    /// `max_batch_size` bytes.
    case bytes = "BYTES"
    /// `max_batch_interval` seconds since the batch's first message.
    case time = "TIME"
    /// A planned batch (an intent left by a crash) was read completely.
    case planned = "PLANNED"
}

/// When a batch closes.
package struct BatchLimits: Sendable, Hashable {
    package var rows: Int
    package var bytes: Int
    package var interval: Duration

    package init(rows: Int, bytes: Int, interval: Duration) {
        self.rows = rows
        self.bytes = bytes
        self.interval = interval
    }
}

/// How messages follow each other in a batch's body.
package enum MessageFraming: Sendable, Hashable {
    /// Each payload, then the delimiter (CSV's row delimiter, JSON's newline).
    case delimited([UInt8])
    /// A 4-byte big-endian length, then the payload (Avro: binary payloads may hold any byte).
    case lengthPrefixed
}

/// Forms one micro-batch from polled messages: appends each message's payload to the load body
/// (framed by ``MessageFraming``), skips offsets an earlier batch committed, tracks the covered range
/// per partition and decides when the batch closes. Pure: no I/O, time passed in.
package struct BatchBuilder: Sendable {
    /// Next offset per partition when the batch started; ranges begin here.
    package let starts: [Int32: Int64]
    /// For a planned batch: the exact ranges to read again.
    package let plan: [Int32: OffsetRange]?
    private let committed: [Int32: OffsetRangeSet]
    private let skipCommitted: Bool
    private let framing: MessageFraming
    private let limits: BatchLimits

    /// The load body.
    package private(set) var body: [UInt8] = []
    /// Messages appended to the body.
    package private(set) var rows = 0
    /// Messages in range that an earlier commit already loaded.
    package private(set) var skipped = 0
    /// Offset of the last message taken per partition.
    package private(set) var last: [Int32: Int64] = [:]
    /// Kafka timestamp of the last message taken per partition.
    package private(set) var timestamps: [Int32: Int64] = [:]
    /// (partition, offset) of each appended message, in body order (error-log attribution).
    package private(set) var origins: [(partition: Int32, offset: Int64)] = []
    /// Where each appended message's payload lies in ``body`` (without its delimiter or length).
    package private(set) var messageSpans: [Range<Int>] = []
    /// When the batch's first message was produced (its Kafka timestamp mapped onto this clock,
    /// at most `interval` back), or taken when there is no timestamp.
    package private(set) var firstMessageAt: ContinuousClock.Instant?
    /// When the batch took its first message.
    package private(set) var firstTakenAt: ContinuousClock.Instant?
    /// Whether the last poll drained what was available (fewer messages than asked for).
    private var drained = false
    package private(set) var closeReason: BatchCloseReason?

    package init(
        starts: [Int32: Int64], committed: [Int32: OffsetRangeSet], skipCommitted: Bool, framing: MessageFraming,
        limits: BatchLimits, plan: [Int32: OffsetRange]? = nil
    ) {
        self.starts = plan.map { $0.mapValues(\.first) } ?? starts
        self.plan = plan
        self.committed = committed
        self.skipCommitted = skipCommitted
        self.framing = framing
        self.limits = limits
    }

    package var isEmpty: Bool { rows == 0 && skipped == 0 }

    /// Messages the next poll may take without passing the row limit.
    package var remainingRows: Int { max(1, limits.rows - rows - skipped) }

    /// The covered range per partition: from the start position to the last message taken.
    package var ranges: [Int32: OffsetRange] {
        var result = [Int32: OffsetRange]()
        for (partition, lastOffset) in last {
            result[partition] = OffsetRange(starts[partition] ?? lastOffset, lastOffset)
        }
        return result
    }

    /// Takes the messages of one poll and returns why the batch is now closed, if it is.
    /// - Parameter wallClockMilliseconds: now since the epoch; the batch's clock starts at its
    ///   first message's Kafka timestamp (at most `interval` back), so messages that waited in
    ///   Kafka while the previous batch loaded do not wait a full interval more.
    /// - Parameter drained: the poll returned fewer messages than asked for (the consumer caught
    ///   up). Only then may the Kafka timestamp close the batch before a full interval of reading:
    ///   a backlog fills batches up to `max_batch_rows`.
    package mutating func add(
        _ batch: MessageBatch, now: ContinuousClock.Instant, wallClockMilliseconds: Int64? = nil, drained: Bool = true
    ) -> BatchCloseReason? {
        self.drained = drained
        for i in 0..<batch.count {
            let partition = batch.partitions[i]
            let offset = batch.offsets[i]
            guard let start = starts[partition], offset >= start, offset > (last[partition] ?? Int64.min) else {
                continue
            }
            if let plan, offset > plan[partition]?.last ?? Int64.min { continue }
            if firstMessageAt == nil {
                var age = Duration.zero
                if let wall = wallClockMilliseconds, batch.timestamps[i] > 0 {
                    age = min(limits.interval, .milliseconds(max(0, wall - batch.timestamps[i])))
                }
                firstMessageAt = now - age
                firstTakenAt = now
            }
            last[partition] = offset
            timestamps[partition] = batch.timestamps[i]
            if skipCommitted, committed[partition]?.contains(offset) == true {
                skipped += 1
                continue
            }
            let message = batch.message(i)
            if case .lengthPrefixed = framing {
                let length = UInt32(truncatingIfNeeded: message.count)
                body.append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) })
            }
            let payloadStart = body.count
            body.append(contentsOf: message)
            messageSpans.append(payloadStart..<body.count)
            if case .delimited(let delimiter) = framing { body.append(contentsOf: delimiter) }
            rows += 1
            origins.append((partition, offset))
        }
        closeReason = evaluate(now: now)
        return closeReason
    }

    /// Re-evaluates the time limit (call when a poll returned nothing: the consumer caught up).
    package mutating func check(now: ContinuousClock.Instant) -> BatchCloseReason? {
        drained = true
        return evaluate(now: now)
    }

    private mutating func evaluate(now: ContinuousClock.Instant) -> BatchCloseReason? {
        if let plan {
            let complete = plan.allSatisfy { partition, range in (last[partition] ?? Int64.min) >= range.last }
            closeReason = complete ? .planned : nil
            return closeReason
        }
        if rows + skipped >= limits.rows {
            closeReason = .rows
        } else if body.count >= limits.bytes {
            closeReason = .bytes
        } else if let first = firstMessageAt, let taken = firstTakenAt, now - first >= limits.interval,
            drained || now - taken >= limits.interval
        {
            closeReason = .time
        }
        return closeReason
    }
}

extension BatchBuilder {
    /// Maps a rejected row's text back to the messages with that payload:
    /// `topic events, partition 3, offset 17`.
    package func originIndex(topic: String) -> @Sendable ([UInt8]) -> String? {
        let index = OriginIndex(body: body, spans: messageSpans, origins: origins)
        return { row in
            guard let found = index.lookup(row), !found.isEmpty else { return nil }
            let places = found.prefix(3).map { "partition \($0.partition), offset \($0.offset)" }.joined(
                separator: "; ")
            return "topic \(topic), \(places)"
        }
    }
}

/// Payload → origins, built on the first lookup (rejected rows are rare; most batches never
/// build it).
final class OriginIndex: Sendable {
    private let body: [UInt8]
    private let spans: [Range<Int>]
    private let origins: [(partition: Int32, offset: Int64)]
    private let map = Mutex<[[UInt8]: [(partition: Int32, offset: Int64)]]?>(nil)

    init(body: [UInt8], spans: [Range<Int>], origins: [(partition: Int32, offset: Int64)]) {
        self.body = body
        self.spans = spans
        self.origins = origins
    }

    func lookup(_ row: [UInt8]) -> [(partition: Int32, offset: Int64)]? {
        map.withLock { map in
            if map == nil {
                var built = [[UInt8]: [(partition: Int32, offset: Int64)]]()
                for (i, span) in spans.enumerated() { built[Array(body[span]), default: []].append(origins[i]) }
                map = built
            }
            return map?[row]
        }
    }
}
