import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SluiceIO
import SluiceLoad
import SluiceSQL
import SluiceStorage

/// Sluice's extension of the transaction interface for daemons in remote-sink mode (tier 1 of
/// design/SCALE-OUT.md): a `source_batch` header on `prepare` (or a one-phase `commit`) names the
/// Kafka offsets a transaction covers, which the commit fences against the job's stored
/// progress; `GET /api/{db}/_source_progress?job=J` reads that progress back. Off with
/// `load.source_commit_api=false`: the node then refuses both, as a StarRocks cluster lacks them.
package struct SourceCommitAPI: Sendable {
    /// Whether the extension is on (`load.source_commit_api`).
    package var enabled = true

    package init(enabled: Bool = true) { self.enabled = enabled }

    /// The header's wire shape: `{"job":"j","daemon":"d1","member":"m","generation":3,
    /// "ranges":[{"partition":0,"first":100,"last":199,"timestamp":1700000000000}],"skipped_rows":0}`.
    struct Header: Decodable {
        struct Range: Decodable {
            var partition: Int32
            var first: Int64
            var last: Int64
            var timestamp: Int64?
        }
        var job: String
        var daemon: String
        var member: String?
        var generation: Int32?
        var ranges: [Range]
        var skipped_rows: Int64?
    }

    static let headerName = "source_batch"
    static let maxRanges = 100_000

    /// The batch a `source_batch` header value names.
    /// - Throws: a message naming what is wrong and the expected shape.
    static func parse(_ value: String) throws(SourceBatchHeaderError) -> RemoteSourceBatch {
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(value.utf8))
        } catch {
            throw SourceBatchHeaderError(
                "source_batch is not valid: \(error); expected {\"job\":…,\"daemon\":…,"
                    + "\"ranges\":[{\"partition\":0,\"first\":0,\"last\":99}]}")
        }
        guard !header.job.isEmpty, header.job.utf8.count <= 128 else {
            throw SourceBatchHeaderError("source_batch names no job (or a job name past 128 bytes)")
        }
        guard !header.daemon.isEmpty, header.daemon.utf8.count <= 256 else {
            throw SourceBatchHeaderError("source_batch names no daemon (or a daemon name past 256 bytes)")
        }
        guard !header.ranges.isEmpty, header.ranges.count <= maxRanges else {
            throw SourceBatchHeaderError("source_batch must hold 1 to \(maxRanges) ranges")
        }
        var ranges = [Int32: OffsetRange]()
        var timestamps = [Int32: Int64]()
        for range in header.ranges {
            guard range.partition >= 0, range.first >= 0, range.first <= range.last else {
                throw SourceBatchHeaderError(
                    "source_batch range \(range.partition):\(range.first)-\(range.last) is not valid "
                        + "(partition ≥ 0, 0 ≤ first ≤ last)")
            }
            guard ranges[range.partition] == nil else {
                throw SourceBatchHeaderError("source_batch names partition \(range.partition) twice")
            }
            ranges[range.partition] = OffsetRange(range.first, range.last)
            if let timestamp = range.timestamp { timestamps[range.partition] = timestamp }
        }
        guard (header.skipped_rows ?? 0) >= 0 else { throw SourceBatchHeaderError("skipped_rows must be ≥ 0") }
        return RemoteSourceBatch(
            job: header.job,
            owner: SourceOwner(daemon: header.daemon, member: header.member, generation: header.generation),
            ranges: ranges, timestamps: timestamps, skippedRows: header.skipped_rows ?? 0)
    }

    /// The progress of remote job `name`: per partition the next offset, the committed ranges and
    /// who committed last; no partitions for a job that never committed.
    static func progress(_ job: SourceJob?, name: String) -> String {
        var partitions = [String]()
        for partition in (job?.position.keys).map(Array.init)?.sorted() ?? [] {
            guard let job else { break }
            let committed = (job.committed[partition]?.ranges ?? []).map { "[\($0.first),\($0.last)]" }
            var fields = [
                "\"Partition\":\(partition)", "\"NextOffset\":\(job.position[partition] ?? 0)",
                "\"Committed\":[\(committed.joined(separator: ","))]",
            ]
            if let owner = job.owners?[partition] {
                fields.append("\"Owner\":\(JSONText.string(owner.daemon))")
                if let member = owner.member { fields.append("\"Member\":\(JSONText.string(member))") }
                if let generation = owner.generation { fields.append("\"Generation\":\(generation)") }
            }
            if let time = job.timestamps[partition] { fields.append("\"Timestamp\":\(time)") }
            partitions.append("{" + fields.joined(separator: ",") + "}")
        }
        return "{\"Job\":\(JSONText.string(name)),\"Partitions\":[\(partitions.joined(separator: ","))]}"
    }

    /// A PREPARED transaction's fenced batch as `_transactions` lists it (how a daemon that takes
    /// over partitions finds the batches left behind): `{"Job":"j","Owner":"d1",
    /// "Ranges":[[0,100,199]],"PreparedTime":1700000000}`; nil for unfenced transactions.
    static func describe(_ prepared: PreparedTransaction, jobs: [Int64: SourceJob]) -> String? {
        guard let source = prepared.source, let owner = source.owner, let job = jobs[source.jobID] else { return nil }
        let ranges = source.ranges.sorted { $0.key < $1.key }.map { "[\($0.key),\($0.value.first),\($0.value.last)]" }
        return "{\"Job\":\(JSONText.string(job.name)),\"Owner\":\(JSONText.string(owner.daemon)),"
            + "\"Ranges\":[\(ranges.joined(separator: ","))],\"PreparedTime\":\(prepared.preparedTime)}"
    }

    /// `GET /api/{db}/_source_progress?job=J`.
    func register(on router: Router<SluiceRequestContext>, authenticator: Authenticator, engine: StorageEngine) {
        router.get("/api/:db/_source_progress") { request, context -> Response in
            let login: Logins.Login
            switch await authenticator.login(request, context) {
            case .refused(let response): return response
            case .login(let accepted): login = accepted
            }
            guard enabled else {
                return RestResult.failed(
                    "the source commit API is off on this node (load.source_commit_api=false)", status: .notFound)
            }
            guard let database = context.parameters.get("db"), !database.isEmpty else {
                return RestResult.failed("No database selected.")
            }
            guard let name = request.uri.queryParameters.get("job"), !name.isEmpty else {
                return RestResult.failed("No job selected: add ?job=<name>")
            }
            if let denied = login.denial(.any, on: .database(database), engine.access) { return denied }
            let job = try await BlockingIO.run(.foreground) {
                engine.remoteSourceJob(named: String(name), database: database)
            }
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            return Response(
                status: .ok, headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(string: Self.progress(job, name: String(name)))))
        }
    }
}

/// A `source_batch` header that does not parse; the message says what is wrong.
struct SourceBatchHeaderError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
