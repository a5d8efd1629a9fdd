import SluiceRoutineLoad
import SluiceStorage
import Testing

/// Micro-batch formation: what a batch takes, skips and covers, and when it closes.
@Suite struct BatchBuilderTests {
    static func messages(_ items: [(Int32, Int64)], timestamp: Int64 = 0) -> MessageBatch {
        var batch = MessageBatch()
        for (partition, offset) in items {
            let text = Array("m\(partition)-\(offset)".utf8)
            text.withUnsafeBytes {
                batch.append(partition: partition, offset: offset, timestamp: timestamp, payload: $0)
            }
        }
        return batch
    }

    static let limits = BatchLimits(rows: 5, bytes: 1_000, interval: .seconds(5))

    @Test func takesFromTheStartSkipsCommittedAndCoversContiguousRanges() {
        var committed = OffsetRangeSet()
        committed.insert(OffsetRange(10, 11))
        var b = BatchBuilder(
            starts: [0: 10, 1: 0], committed: [0: committed], skipCommitted: true, framing: .delimited([10]),
            limits: Self.limits)
        let t0 = ContinuousClock.now
        #expect(b.add(Self.messages([(0, 9), (0, 10), (0, 11), (0, 12), (1, 0)]), now: t0) == nil)
        #expect(b.rows == 2)
        #expect(b.skipped == 2)
        #expect(String(decoding: b.body, as: UTF8.self) == "m0-12\nm1-0\n")
        #expect(b.ranges == [0: OffsetRange(10, 12), 1: OffsetRange(0, 0)])
        #expect(b.add(Self.messages([(1, 1)]), now: t0) == .rows)
    }

    @Test func closesOnBytes() {
        var b = BatchBuilder(
            starts: [0: 0], committed: [:], skipCommitted: true, framing: .delimited([10]),
            limits: BatchLimits(rows: 100, bytes: 10, interval: .seconds(5)))
        #expect(b.add(Self.messages([(0, 0)]), now: .now) == nil)
        #expect(b.add(Self.messages([(0, 1)]), now: .now) == .bytes)
    }

    @Test func closesOnTimeFromTheFirstMessageOnceCaughtUp() {
        let t0 = ContinuousClock.now
        var b = BatchBuilder(
            starts: [0: 0], committed: [:], skipCommitted: true, framing: .delimited([10]), limits: Self.limits)
        #expect(b.check(now: t0 + .seconds(10)) == nil, "an empty batch never closes")
        #expect(b.add(Self.messages([(0, 0)]), now: t0) == nil)
        #expect(b.check(now: t0 + .seconds(4)) == nil)
        #expect(b.check(now: t0 + .seconds(5)) == .time)
    }

    @Test func kafkaTimestampsShortenTheWaitOnlyWhenCaughtUp() {
        let t0 = ContinuousClock.now
        let wall: Int64 = 1_000_000
        // The first message waited 3 s in Kafka: a caught-up batch closes 2 s later.
        var b = BatchBuilder(
            starts: [0: 0], committed: [:], skipCommitted: true, framing: .delimited([10]), limits: Self.limits)
        #expect(
            b.add(Self.messages([(0, 0)], timestamp: wall - 3_000), now: t0, wallClockMilliseconds: wall, drained: true)
                == nil)
        #expect(b.check(now: t0 + .seconds(2)) == .time)
        // A backlog (polls come back full) keeps filling for a whole interval of reading.
        var backlog = BatchBuilder(
            starts: [0: 0], committed: [:], skipCommitted: true, framing: .delimited([10]),
            limits: BatchLimits(rows: 100, bytes: 10_000, interval: .seconds(5)))
        #expect(
            backlog.add(
                Self.messages([(0, 0)], timestamp: wall - 60_000), now: t0, wallClockMilliseconds: wall, drained: false)
                == nil)
        #expect(
            backlog.add(
                Self.messages([(0, 1)], timestamp: wall - 60_000), now: t0 + .seconds(1), wallClockMilliseconds: wall,
                drained: false) == nil)
        #expect(
            backlog.add(
                Self.messages([(0, 2)], timestamp: wall), now: t0 + .seconds(5), wallClockMilliseconds: wall,
                drained: false) == .time)
    }

    @Test func plannedBatchReadsExactlyItsRanges() {
        var b = BatchBuilder(
            starts: [:], committed: [:], skipCommitted: true, framing: .delimited([10]), limits: Self.limits,
            plan: [0: OffsetRange(3, 4), 1: OffsetRange(7, 7)])
        #expect(b.add(Self.messages([(0, 2), (0, 3), (0, 4), (0, 5), (1, 7)]), now: .now) == .planned)
        #expect(b.ranges == [0: OffsetRange(3, 4), 1: OffsetRange(7, 7)])
        #expect(b.rows == 3)
    }

    @Test func offsetRangeSetMergesAndFinds() {
        var set = OffsetRangeSet()
        set.insert(OffsetRange(10, 19))
        set.insert(OffsetRange(30, 39))
        set.insert(OffsetRange(20, 25))
        #expect(set.ranges == [OffsetRange(10, 25), OffsetRange(30, 39)])
        set.insert(OffsetRange(0, 100))
        #expect(set.ranges == [OffsetRange(0, 100)])
        #expect(set.contains(0) && set.contains(100) && !set.contains(101))
    }

    @Test func labelsArePureFunctionsOfTheRanges() {
        let a = BatchLabel.make(
            jobName: "job", jobID: 7, epoch: 0, ranges: [1: OffsetRange(0, 9), 0: OffsetRange(5, 6)])
        let b = BatchLabel.make(
            jobName: "job", jobID: 7, epoch: 0, ranges: [0: OffsetRange(5, 6), 1: OffsetRange(0, 9)])
        #expect(a == b)
        #expect(
            a
                != BatchLabel.make(
                    jobName: "job", jobID: 7, epoch: 1, ranges: [0: OffsetRange(5, 6), 1: OffsetRange(0, 9)]))
        #expect(
            a
                != BatchLabel.make(
                    jobName: "job", jobID: 7, epoch: 0, ranges: [0: OffsetRange(5, 7), 1: OffsetRange(0, 9)]))
        let long = BatchLabel.make(jobName: String(repeating: "é", count: 200), jobID: 1, epoch: 0, ranges: [:])
        #expect(long.count <= 128)
        #expect(long.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
    }
}
