import Foundation
import SluiceLoad
import SluiceRoutineLoad
import SluiceStorage
import Synchronization
import Testing

/// ``StandardBatchWriter`` against a sink with only StarRocks' label semantics: one transaction
/// per partition under its chain label, progress in the hidden columns, and the ways another
/// writer can take a chain position.
@Suite struct StandardBatchWriterTests {
    /// A label table as StarRocks keeps it, plus the hidden columns' max per partition.
    final class LabelSink: TransactionSink, @unchecked Sendable {
        struct Transaction {
            var id: Int64
            var state: String
            var bytes = 0
            var rows = 0
            var partition: Int32 = -1
            var last: Int64 = -1
        }

        struct State {
            var labels: [String: Transaction] = [:]
            var nextID: Int64 = 100
            var committedLast: [Int32: Int64] = [:]
            var calls: [String] = []
            var headers: [String: String] = [:]
            /// Loads that land no row (everything filtered).
            var zeroRows = false
            /// Bytes another writer's load adds to each transaction.
            var foreignBytes = 0
            /// Table columns as information_schema lists them.
            var columns = ["a", "b", "__sluice_partition", "__sluice_offset"]
            /// A commit answers with another transaction's id (the label was taken over).
            var commitOtherID = false
            /// The SQL API refuses queries (as StarRocks does for an unknown column).
            var queryError: String?
        }

        let state = Mutex(State())
        var fencesSourceBatches: Bool { false }

        func begin(database: String, table: String, label: String, timeoutSeconds: Int) throws(SinkError)
            -> SinkAnswer
        {
            state.withLock { s in
                s.calls.append("begin \(label)")
                if let existing = s.labels[label], existing.state != "ABORTED" {
                    return SinkAnswer(
                        .labelAlreadyExists(existingJobStatus: existing.state == "FINISHED" ? "FINISHED" : "RUNNING"))
                }
                s.nextID += 1
                s.labels[label] = Transaction(id: s.nextID, state: "PREPARE")
                return SinkAnswer(.ok, transactionID: s.nextID)
            }
        }

        func load(database: String, table: String, label: String, headers: [(String, String)], body: [UInt8])
            throws(SinkError) -> SinkAnswer
        {
            state.withLock { s in
                s.calls.append("load \(label)")
                s.headers = Dictionary(headers, uniquingKeysWith: { $1 })
                let columns = s.headers["columns"] ?? ""
                func constant(_ name: String) -> Int64? {
                    columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                        .first { $0.hasPrefix(name + "=") }.flatMap { Int64($0.dropFirst(name.count + 1)) }
                }
                s.labels[label]?.bytes += body.count + s.foreignBytes
                s.labels[label]?.rows += s.zeroRows ? 0 : body.split(separator: 10).count
                s.labels[label]?.partition = Int32(constant("__sluice_partition") ?? -1)
                s.labels[label]?.last = constant("__sluice_offset") ?? -1
                return SinkAnswer(.ok)
            }
        }

        func prepare(database: String, label: String, preparedTimeoutSeconds: Int, source: RemoteSourceBatch?)
            throws(SinkError) -> SinkAnswer
        {
            state.withLock { s in
                s.calls.append("prepare \(label)")
                guard var t = s.labels[label], t.state == "PREPARE" else { return SinkAnswer(.transactionNotExists) }
                t.state = "PREPARED"
                s.labels[label] = t
                return SinkAnswer(.ok, transactionID: t.id, loadBytes: Int64(t.bytes), loadedRows: Int64(t.rows))
            }
        }

        func commit(database: String, label: String) throws(SinkError) -> SinkAnswer {
            state.withLock { s in
                s.calls.append("commit \(label)")
                guard var t = s.labels[label], t.state == "PREPARED" else { return SinkAnswer(.failed) }
                t.state = "FINISHED"
                s.labels[label] = t
                if t.rows > 0 { s.committedLast[t.partition] = max(s.committedLast[t.partition] ?? -1, t.last) }
                return SinkAnswer(.ok, transactionID: s.commitOtherID ? t.id + 1000 : t.id)
            }
        }

        func rollback(database: String, label: String) throws(SinkError) -> SinkAnswer {
            state.withLock { s in
                s.calls.append("rollback \(label)")
                if s.labels[label]?.state != "FINISHED" { s.labels[label]?.state = "ABORTED" }
                return SinkAnswer(.ok)
            }
        }

        func progress(database: String, job: String) throws(SinkError) -> SinkProgress {
            throw SinkError(.permanent, "not on a standard sink")
        }

        func transactions(database: String, labelPrefix: String) throws(SinkError) -> [SinkTransaction] {
            throw SinkError(.permanent, "not on a standard sink")
        }

        func query(database: String, sql: String) throws(SinkError) -> [[String?]] {
            let refused = state.withLock { $0.queryError }
            if let refused { throw SinkError(.permanent, refused) }
            return state.withLock { s in
                s.calls.append("query")
                if sql.contains("information_schema.columns") { return s.columns.map { [$0] } }
                return s.committedLast.sorted { $0.key < $1.key }.map { ["\($0.key)", "\($0.value)"] }
            }
        }
    }

    static func definition(columns: String? = nil) -> JobDefinition {
        let properties = try! JobProperties(
            properties: ["format": "csv"], source: ["kafka_broker_list": "unused:9092", "kafka_topic": "t"])
        var clauses = LoadClauses()
        clauses.columns = columns
        clauses.columnSeparator = ","
        return JobDefinition(
            id: 0, name: "j", database: "db", table: "t", clauses: clauses, properties: properties,
            rawProperties: [:], createTime: 0, groupID: "")
    }

    static func writer(_ sink: LabelSink, columns: String? = nil) -> StandardBatchWriter {
        StandardBatchWriter(
            sink: sink, definition: definition(columns: columns), settings: RemoteJobSettings(daemon: "d1") { _ in })
    }

    /// Partition 0 offsets 0…2 and partition 1 offsets 5…6, one message each.
    static func batch() -> RemoteBatchWriter.Batch {
        var body = [UInt8]()
        var spans = [Range<Int>]()
        let origins: [(partition: Int32, offset: Int64)] = [(0, 0), (1, 5), (0, 1), (1, 6), (0, 2)]
        for (partition, offset) in origins {
            let start = body.count
            body += Array("\(partition),\(offset)".utf8)
            spans.append(start..<body.count)
            body.append(10)
        }
        return RemoteBatchWriter.Batch(
            ranges: [0: OffsetRange(0, 2), 1: OffsetRange(5, 6)], timestamps: [:], body: body, startedAt: .now,
            owner: SourceOwner(daemon: "d1"), spans: spans, origins: origins)
    }

    /// The chain labels of the batch: `<job>-<job hash>-<partition>-<start>`.
    static var label0: String { definition().standardLabel(partition: 0, start: 0) }
    static var label1: String { definition().standardLabel(partition: 1, start: 5) }

    @Test func eachPartitionCommitsUnderItsChainLabelWithTheHiddenColumns() throws {
        let sink = LabelSink()
        let writer = Self.writer(sink)
        #expect(writer.write(Self.batch()) == .committed(held: []))
        let (labels, headers) = sink.state.withLock { ($0.labels, $0.headers) }
        #expect(labels[Self.label0]?.state == "FINISHED")
        #expect(labels[Self.label0]?.bytes == 12)
        #expect(labels[Self.label1]?.state == "FINISHED")
        #expect(headers["columns"] == "a, b, __sluice_partition=1, __sluice_offset=6")
        #expect(try writer.nextOffsets(of: [0, 1, 2]) == [0: 3, 1: 7])
        #expect(Self.label0.hasPrefix("j-") && Self.label0.hasSuffix("-0-0") && Self.label0.count <= 128)
        // A job that maps its columns keeps them, the hidden ones appended (no schema read).
        let mappedSink = LabelSink()
        #expect(Self.writer(mappedSink, columns: "x, y, a=x+1").write(Self.batch()) == .committed(held: []))
        let mapped = mappedSink.state.withLock { ($0.headers["columns"], $0.calls.contains("query")) }
        #expect(mapped.0 == "x, y, a=x+1, __sluice_partition=1, __sluice_offset=6")
        #expect(!mapped.1)
    }

    @Test func aChainLabelHeldByAnotherWriterIsRolledBackAndWon() throws {
        let sink = LabelSink()
        sink.state.withLock { $0.labels[Self.label0] = .init(id: 7, state: "PREPARED") }
        #expect(Self.writer(sink).write(Self.batch()) == .committed(held: []))
        let calls = sink.state.withLock { $0.calls }
        #expect(calls.prefix(3) == ["query", "begin \(Self.label0)", "rollback \(Self.label0)"])
        #expect(sink.state.withLock { $0.labels[Self.label0]?.id } != 7)
        let writer = Self.writer(sink)
        sink.state.withLock { $0.labels[Self.label1] = .init(id: 8, state: "PREPARE") }
        let bounded = writer.bounded(by: .now + .seconds(60))
        #expect(bounded.write(Self.batch()) == .committed(held: []))
        #expect(writer.rolledBackLingering == 1)
    }

    @Test func aFinishedChainLabelIsThisBatchOnlyIfTheProgressContinuesRightAfterIt() throws {
        // A lost commit answer: the label is FINISHED and the progress is right after the batch.
        let lost = LabelSink()
        lost.state.withLock {
            $0.labels[Self.label0] = .init(id: 7, state: "FINISHED")
            $0.committedLast[0] = 2
        }
        #expect(Self.writer(lost).write(Self.batch()) == .committed(held: []))
        // Another writer's batch from the same offset, ending elsewhere: fenced.
        let other = LabelSink()
        other.state.withLock {
            $0.labels[Self.label0] = .init(id: 7, state: "FINISHED")
            $0.committedLast[0] = 4
        }
        guard case .conflict(let message) = Self.writer(other).write(Self.batch()) else {
            Issue.record("not fenced")
            return
        }
        #expect(message.contains("the sink's next offset is 5"))
    }

    @Test func aBatchThatLoadsNoRowIsRolledBackAndHeld() throws {
        let sink = LabelSink()
        sink.state.withLock { $0.zeroRows = true }
        #expect(Self.writer(sink).write(Self.batch()) == .committed(held: [0, 1]))
        #expect(sink.state.withLock { $0.labels.values.allSatisfy { $0.state == "ABORTED" } })
    }

    @Test func anotherWritersLoadInTheTransactionRollsItBack() throws {
        let sink = LabelSink()
        sink.state.withLock { $0.foreignBytes = 3 }
        guard case .retry(let message) = Self.writer(sink).write(Self.batch()) else {
            Issue.record("committed a transaction with foreign bytes")
            return
        }
        #expect(message.contains("another writer's load"))
        #expect(sink.state.withLock { $0.labels[Self.label0]?.state } == "ABORTED")
    }

    @Test func committingAnotherWritersTransactionIsAConflictNotThisBatch() throws {
        let sink = LabelSink()
        sink.state.withLock { $0.commitOtherID = true }
        guard case .conflict = Self.writer(sink).write(Self.batch()) else {
            Issue.record("took another writer's commit for its own")
            return
        }
    }

    @Test func aTableWithoutTheHiddenColumnsIsNamedWithTheFix() throws {
        let sink = LabelSink()
        sink.state.withLock { $0.columns = ["a", "b"] }
        guard case .failed(let message) = Self.writer(sink).write(Self.batch()) else {
            Issue.record("wrote without progress columns")
            return
        }
        #expect(message.contains("ADD COLUMN __sluice_partition INT, ADD COLUMN __sluice_offset BIGINT"))
        #expect(sink.state.withLock { $0.calls } == ["query"])
        // The progress read names the fix too.
        sink.state.withLock { $0.queryError = "Unknown column '__sluice_partition'" }
        let error = try #require(throws: SinkError.self) { try Self.writer(sink).nextOffsets(of: [0]) }
        #expect(error.message.contains("Unknown column '__sluice_partition'"))
        #expect(error.message.contains("ADD COLUMN __sluice_partition INT"))
    }
}
