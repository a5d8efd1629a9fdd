import Foundation
import SluiceLoad
import SluiceRoutineLoad
import SluiceServer
import SluiceSink
import SluiceStorage
import SluiceTesting
import Synchronization
import Testing

/// The remote-sink daemon's HTTP client against a real Sluice node over loopback.
@Suite(.serialized) struct HTTPTransactionSinkTests {
    static func sink(port: Int, api: String = "sluice", retryFor: Duration = .seconds(30)) throws
        -> HTTPTransactionSink
    {
        var settings = try SinkSettings(url: "http://127.0.0.1:\(port)", user: "root", password: "", api: api)
        settings.retryFor = retryFor
        return HTTPTransactionSink(settings: settings, wait: { _ in })
    }

    static func offsets(_ daemon: String, _ ranges: [Int32: (Int64, Int64)]) -> RemoteSourceBatch {
        RemoteSourceBatch(
            job: "sl_job", owner: SourceOwner(daemon: daemon, member: "m", generation: 1),
            ranges: ranges.mapValues { OffsetRange($0.0, $0.1) }, timestamps: [:], skippedRows: 0)
    }

    @Test(.timeLimit(.minutes(2)))
    func runsTheTransactionInterfaceWithFencedBatches() async throws {
        let f = try await TransactionHTTPTests.Fixture()
        defer {
            f.server.terminate()
            try? FileManager.default.removeItem(atPath: f.directory)
        }
        let sink = try Self.sink(port: f.port)
        let csv = [("column_separator", ",")]
        #expect(try sink.begin(database: "db", table: "t", label: "b1", timeoutSeconds: 60).status == .ok)
        #expect(
            try sink.load(database: "db", table: "t", label: "b1", headers: csv, body: Array("1,a\n2,b\n".utf8)).status
                == .ok)
        let prepared = try sink.prepare(
            database: "db", label: "b1", preparedTimeoutSeconds: 60, source: Self.offsets("d1", [0: (0, 1)]))
        #expect(prepared.status == .ok, "\(prepared.message)")
        // Listed with its fenced batch while PREPARED.
        let lingering = try sink.transactions(database: "db", labelPrefix: "b")
        #expect(lingering.count == 1)
        #expect(lingering.first?.state == .prepared)
        #expect(lingering.first?.ranges == [0: OffsetRange(0, 1)])
        #expect(lingering.first?.owner == "d1")
        #expect(try sink.commit(database: "db", label: "b1").status == .ok)
        // A repeated commit (a lost answer retried) is still OK; begin again is refused.
        #expect(try sink.commit(database: "db", label: "b1").status == .ok)
        #expect(
            try sink.begin(database: "db", table: "t", label: "b1", timeoutSeconds: 60).status
                == .labelAlreadyExists(existingJobStatus: "FINISHED"))
        let progress = try sink.progress(database: "db", job: "sl_job")
        #expect(
            progress.partitions == [
                0: SinkProgress.Partition(nextOffset: 2, committed: [OffsetRange(0, 1)], owner: "d1")
            ])
        // A zombie's overlapping batch: the sink's conflict status.
        #expect(try sink.begin(database: "db", table: "t", label: "z", timeoutSeconds: 60).status == .ok)
        #expect(
            try sink.load(database: "db", table: "t", label: "z", headers: csv, body: Array("3,c\n".utf8)).status == .ok
        )
        let refused = try sink.prepare(
            database: "db", label: "z", preparedTimeoutSeconds: 60, source: Self.offsets("d2", [0: (1, 5)]))
        #expect(refused.status == .sourceConflict, "\(refused.message)")
        #expect(refused.message.contains("stored next offset 2"))
        #expect(try sink.rollback(database: "db", label: "nothing").status == .failed)
        #expect(try await f.count() == "2")
    }

    /// The standard API (`"api": "standard"`): the SQL API reads rows; the Sluice extensions
    /// are never called; prepare and commit answer with the transaction's id, bytes and rows.
    @Test(.timeLimit(.minutes(2)))
    func theStandardAPIUsesOnlyTheDocumentedInterface() async throws {
        let f = try await TransactionHTTPTests.Fixture()
        defer {
            f.server.terminate()
            try? FileManager.default.removeItem(atPath: f.directory)
        }
        let sink = try Self.sink(port: f.port, api: "standard")
        #expect(!sink.fencesSourceBatches)
        let begun = try sink.begin(database: "db", table: "t", label: "s1", timeoutSeconds: 60)
        let body = Array("1,a\n2,b\n".utf8)
        _ = try sink.load(database: "db", table: "t", label: "s1", headers: [("column_separator", ",")], body: body)
        let prepared = try sink.prepare(
            database: "db", label: "s1", preparedTimeoutSeconds: 60, source: Self.offsets("d1", [0: (0, 1)]))
        #expect(prepared.status == .ok, "\(prepared.message)")
        #expect(prepared.transactionID == begun.transactionID)
        #expect(prepared.loadBytes == Int64(body.count))
        #expect(prepared.loadedRows == 2)
        #expect(try sink.commit(database: "db", label: "s1").transactionID == begun.transactionID)
        #expect(try sink.query(database: "db", sql: "SELECT id, s FROM t ORDER BY id") == [["1", "a"], ["2", "b"]])
        #expect(try sink.query(database: "db", sql: "SELECT NULL") == [[nil]])
        #expect(throws: SinkError.self) { try sink.query(database: "db", sql: "SELECT nope FROM t") }
        // No source_batch went with the prepare, and the extensions are refused client-side.
        #expect(throws: SinkError.self) { try sink.progress(database: "db", job: "sl_job") }
        #expect(throws: SinkError.self) { try sink.transactions(database: "db", labelPrefix: "s") }
        let progress = try Self.sink(port: f.port).progress(database: "db", job: "sl_job")
        #expect(progress.partitions.isEmpty)
    }

    /// A sink that is not there: retried with backoff until `retryFor`, then `unavailable`; a
    /// `load` is retried only while no connection opened.
    @Test func anUnreachableSinkIsRetriedThenReported() throws {
        let waits = Atomic<Int>(0)
        var settings = try SinkSettings(
            url: "http://127.0.0.1:\(freeTCPPort())", user: "root", password: "secret", api: "sluice")
        settings.retryFor = .seconds(2)
        let sink = HTTPTransactionSink(settings: settings, wait: { _ in waits.add(1, ordering: .relaxed) })
        let error = try #require(throws: SinkError.self) {
            try sink.begin(database: "db", table: "t", label: "x", timeoutSeconds: 60)
        }
        #expect(error.kind == .unavailable)
        #expect(!error.message.contains("secret"))
        #expect(waits.load(ordering: .relaxed) >= 1)
        #expect(throws: SinkError.self) {
            try sink.load(database: "db", table: "t", label: "x", headers: [], body: [1])
        }
        // A revoke's deadline bounds the whole call, retries included (retryFor is 2 s here).
        settings.retryFor = .seconds(60)
        let patient = HTTPTransactionSink(settings: settings, wait: { _ in })
        let start = ContinuousClock.now
        let bounded = patient.bounded(by: start + .milliseconds(300))
        #expect(throws: SinkError.self) { try bounded.commit(database: "db", label: "x") }
        #expect(ContinuousClock.now - start < .seconds(10))
        let late = try #require(throws: SinkError.self) {
            try patient.bounded(by: .now).rollback(database: "db", label: "x")
        }
        #expect(late.kind == .unavailable)
    }

    @Test func settingsNameWhatIsWrong() throws {
        #expect(throws: SinkSettingsError.self) {
            try SinkSettings(url: "ftp://x", user: "root", password: "", api: "sluice")
        }
        #expect(throws: SinkSettingsError.self) {
            try SinkSettings(url: "http://x:8030/api", user: "root", password: "", api: "sluice")
        }
        let bad = try #require(throws: SinkSettingsError.self) {
            try SinkSettings(url: "http://x:8030", user: "root", password: "", api: "doris")
        }
        #expect(bad.message.contains("sink.api must be one of"))
        let ok = try SinkSettings(url: "http://x:8030", user: "root", password: "pw", api: "standard")
        #expect(!ok.description.contains("pw"))
    }
}
