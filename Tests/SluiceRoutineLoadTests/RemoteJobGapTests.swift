import Foundation
import Logging
import SluiceLoad
import SluiceRoutineLoad
import SluiceStorage
import SluiceTesting
import Synchronization
import Testing

/// ``RemoteJob`` with a scripted consumer and an in-memory sink: a batch's range runs from its
/// start to its last message, so messages that skip past the expected offset must be read again,
/// never claimed unread.
@Suite struct RemoteJobGapTests {
    /// Delivers partition 0 from `start`; the first delivery after each seek skips `skip` offsets
    /// (a consumer that resumed past where it was told), until `healAfter` seeks.
    final class ScriptedSource: GroupMessageSource, @unchecked Sendable {
        // @unchecked: used by the job's thread only; `seeks` is read by the test.
        let total: Int64
        let healAfter: Int
        var next: Int64 = 0
        var handler: (any GroupRebalanceHandler)?
        var assigned = false
        let seeks = Atomic<Int>(0)

        init(total: Int64, healAfter: Int) {
            self.total = total
            self.healAfter = healAfter
        }

        func subscribe(_ handler: any GroupRebalanceHandler) throws { self.handler = handler }

        func poll(maxMessages: Int, timeoutMilliseconds: Int) throws -> MessageBatch {
            var batch = MessageBatch()
            if !assigned {
                assigned = true
                next = handler?.assigned([0])[0] ?? 0
                // The consumer resumes past the start it was given.
                if seeks.load(ordering: .relaxed) < healAfter { next += 5 }
                return batch
            }
            while next < total, batch.count < min(maxMessages, 50) {
                let text = Array("{\"n\":\(next)}".utf8)
                text.withUnsafeBytes { batch.append(partition: 0, offset: next, timestamp: 0, payload: $0) }
                next += 1
            }
            return batch
        }

        func seed(_ offsets: [Int32: Int64]) throws { try seek(offsets) }

        func seek(_ offsets: [Int32: Int64]) throws {
            let count = seeks.add(1, ordering: .relaxed).newValue
            next = (offsets[0] ?? next) + (count < healAfter ? 5 : 0)
        }

        var memberID: String { "m1" }
        func groupSize() -> Int? { 1 }
        func partitions() throws -> [Int32] { [0] }
        func watermarks(partition: Int32) throws -> (low: Int64, high: Int64) { (0, total) }
        func close() { handler?.revoked([0], lost: false) }
    }

    struct Factory: GroupSourceFactory {
        let source: ScriptedSource
        func makeGroupSource(brokers: String, topic: String, groupID: String, settings: [String: String]) throws
            -> any GroupMessageSource
        { source }
    }

    /// Commits batches in memory, as a fencing sink would record them.
    final class MemorySink: TransactionSink, @unchecked Sendable {
        let state = Mutex<(open: [String: Int], committed: [OffsetRange], rows: Int)>(([:], [], 0))
        let pending = Mutex<[String: RemoteSourceBatch]>([:])
        var fencesSourceBatches: Bool { true }

        func begin(database: String, table: String, label: String, timeoutSeconds: Int) throws(SinkError)
            -> SinkAnswer
        {
            state.withLock { $0.open[label] = 0 }
            return SinkAnswer(.ok)
        }

        func load(database: String, table: String, label: String, headers: [(String, String)], body: [UInt8])
            throws(SinkError) -> SinkAnswer
        {
            state.withLock { $0.open[label, default: 0] += body.split(separator: 10).count }
            return SinkAnswer(.ok)
        }

        func prepare(database: String, label: String, preparedTimeoutSeconds: Int, source: RemoteSourceBatch?)
            throws(SinkError) -> SinkAnswer
        {
            pending.withLock { $0[label] = source }
            return SinkAnswer(.ok)
        }

        func commit(database: String, label: String) throws(SinkError) -> SinkAnswer {
            let source = pending.withLock { $0[label] }
            state.withLock { state in
                if let range = source?.ranges[0] { state.committed.append(range) }
                state.rows += state.open.removeValue(forKey: label) ?? 0
            }
            return SinkAnswer(.ok)
        }

        func rollback(database: String, label: String) throws(SinkError) -> SinkAnswer { SinkAnswer(.ok) }

        func progress(database: String, job: String) throws(SinkError) -> SinkProgress {
            let next = state.withLock { $0.committed.last.map { $0.last + 1 } }
            return SinkProgress(
                partitions: next.map { [0: SinkProgress.Partition(nextOffset: $0, committed: [])] } ?? [:])
        }

        func transactions(database: String, labelPrefix: String) throws(SinkError) -> [SinkTransaction] { [] }
        func query(database: String, sql: String) throws(SinkError) -> [[String?]] { [] }
    }

    static func job(_ source: ScriptedSource, _ sink: MemorySink) throws -> RemoteJob {
        let properties = try JobProperties(
            properties: ["format": "json"],
            source: [
                "kafka_broker_list": "unused:9092", "kafka_topic": "t",
                "property.kafka_default_offsets": "OFFSET_BEGINNING",
            ])
        let definition = JobDefinition(
            id: 0, name: "j", database: "db", table: "t", clauses: LoadClauses(), properties: properties,
            rawProperties: [:], createTime: 0, groupID: "")
        var settings = RemoteJobSettings(daemon: "d1", wait: { _ in })
        settings.batchIntervalOverride = .milliseconds(1)
        settings.intervalPerMember = .zero
        return RemoteJob(
            definition: definition, sink: sink, factory: Factory(source: source), settings: settings,
            logger: Logger(label: "gap-test"))
    }

    @Test func messagesThatSkipAheadAreReadAgainNotClaimed() throws {
        let source = ScriptedSource(total: 400, healAfter: 2)
        let sink = MemorySink()
        let job = try Self.job(source, sink)
        job.start()
        let done = Eventually.until(timeout: .seconds(30), poll: .milliseconds(5)) {
            sink.state.withLock { $0.committed.last?.last } == 399
        }
        job.stop()
        #expect(done)
        let (committed, rows) = sink.state.withLock { ($0.committed, $0.rows) }
        // One chain from 0 and every claimed offset loaded: the skips were read again.
        #expect(committed.first?.first == 0, "\(committed)")
        #expect(zip(committed, committed.dropFirst()).allSatisfy { $0.last + 1 == $1.first }, "\(committed)")
        #expect(rows == 400, "\(rows) rows for \(committed)")
        #expect(source.seeks.load(ordering: .relaxed) >= 2)
    }
}
