import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
package import SluiceLoad
package import SluiceRoutineLoad
import SluiceStorage

/// The Stream Load transaction interface over HTTP (spec §2): where a daemon in remote-sink mode
/// writes. Every call carries basic auth and `Expect: 100-continue` (a StarRocks FE refuses PUTs
/// without it); a 307/308 is followed with the credentials only to hosts of the configured
/// cluster, never from https to http, at most 5 hops. A sink that is down, refuses connections,
/// answers 5xx or is busy (503) is retried with capped backoff for ``SinkSettings/retryFor``
/// under the same label. A `load` whose request may have reached the sink is never re-sent (a
/// second copy of the body would land in the same transaction): it fails and the caller rolls
/// the transaction back.
package final class HTTPTransactionSink: TransactionSink {
    package let settings: SinkSettings
    private let client: HTTPClient
    /// Whether this instance shuts the client down (a ``bounded(by:)`` copy shares it).
    private let ownsClient: Bool
    /// Every call gives up at this instant (a revoke's commit deadline).
    private let deadline: ContinuousClock.Instant?
    /// Waits between retries (tests inject a clock-free wait).
    private let wait: @Sendable (Duration) -> Void

    package convenience init(
        settings: SinkSettings, wait: @escaping @Sendable (Duration) -> Void = HTTPTransactionSink.sleep
    ) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        configuration.decompression = .disabled
        self.init(
            settings: settings, client: HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration),
            ownsClient: true, deadline: nil, wait: wait)
    }

    private init(
        settings: SinkSettings, client: HTTPClient, ownsClient: Bool, deadline: ContinuousClock.Instant?,
        wait: @escaping @Sendable (Duration) -> Void
    ) {
        self.settings = settings
        self.client = client
        self.ownsClient = ownsClient
        self.deadline = deadline
        self.wait = wait
    }

    deinit { if ownsClient { try? client.syncShutdown() } }

    /// A copy whose calls (retries and each request) end by `deadline`; it shares the client,
    /// which must outlive it.
    package func bounded(by deadline: ContinuousClock.Instant) -> any TransactionSink {
        HTTPTransactionSink(
            settings: settings, client: client, ownsClient: false, deadline: min(deadline, self.deadline ?? deadline),
            wait: wait)
    }

    package static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
    }

    package var fencesSourceBatches: Bool { settings.api == .sluice }

    // MARK: Transaction calls

    package func begin(database: String, table: String, label: String, timeoutSeconds: Int) throws(SinkError)
        -> SinkAnswer
    {
        let headers = [("db", database), ("table", table), ("label", label), ("timeout", String(timeoutSeconds))]
        return try answer(call(.POST, "/api/transaction/begin", headers, resend: true))
    }

    package func load(database: String, table: String, label: String, headers: [(String, String)], body: [UInt8])
        throws(SinkError) -> SinkAnswer
    {
        let all = [("db", database), ("table", table), ("label", label)] + headers
        return try answer(call(.PUT, "/api/transaction/load", all, body: body, resend: false))
    }

    package func prepare(
        database: String, label: String, preparedTimeoutSeconds: Int, source: RemoteSourceBatch?
    ) throws(SinkError) -> SinkAnswer {
        var headers = [("db", database), ("label", label), ("prepared_timeout", String(preparedTimeoutSeconds))]
        if let source, fencesSourceBatches { headers.append(("source_batch", Self.sourceBatchHeader(source))) }
        return try answer(call(.POST, "/api/transaction/prepare", headers, resend: true))
    }

    package func commit(database: String, label: String) throws(SinkError) -> SinkAnswer {
        try answer(call(.POST, "/api/transaction/commit", [("db", database), ("label", label)], resend: true))
    }

    package func rollback(database: String, label: String) throws(SinkError) -> SinkAnswer {
        try answer(call(.POST, "/api/transaction/rollback", [("db", database), ("label", label)], resend: true))
    }

    // MARK: Reads

    package func progress(database: String, job: String) throws(SinkError) -> SinkProgress {
        guard fencesSourceBatches else {
            throw SinkError(.permanent, "progress reads need the sink's Sluice API (sink.api = \"sluice\")")
        }
        let reply = try call(
            .GET, "/api/\(Self.path(database))/_source_progress?job=\(Self.query(job))", [], resend: true)
        guard reply.status != 404 else {
            throw SinkError(
                .permanent,
                "the sink has no source commit API (404 on _source_progress): it is not a Sluice node, or it runs "
                    + "with load.source_commit_api=false; set sink.api to \"standard\"")
        }
        guard reply.status == 200, let object = reply.json as? [String: Any],
            let partitions = object["Partitions"] as? [[String: Any]]
        else {
            throw SinkError(.permanent, "unexpected progress answer (HTTP \(reply.status)): \(reply.text.prefix(300))")
        }
        var progress = SinkProgress()
        for entry in partitions {
            guard let partition = Self.int(entry["Partition"]), let next = Self.int(entry["NextOffset"]) else {
                throw SinkError(.permanent, "unexpected progress entry: \(entry)")
            }
            let committed = (entry["Committed"] as? [[Any]] ?? []).compactMap { pair -> OffsetRange? in
                guard pair.count == 2, let first = Self.int(pair[0]), let last = Self.int(pair[1]), first <= last
                else { return nil }
                return OffsetRange(first, last)
            }
            progress.partitions[Int32(partition)] = SinkProgress.Partition(
                nextOffset: next, committed: committed, owner: entry["Owner"] as? String)
        }
        return progress
    }

    package func transactions(database: String, labelPrefix: String) throws(SinkError) -> [SinkTransaction] {
        guard fencesSourceBatches else {
            throw SinkError(.permanent, "transaction listings need the sink's Sluice API (sink.api = \"sluice\")")
        }
        let reply = try call(
            .GET, "/api/\(Self.path(database))/_transactions?label_prefix=\(Self.query(labelPrefix))", [], resend: true)
        guard reply.status == 200, let items = reply.json as? [[String: Any]] else {
            throw SinkError(
                .permanent, "unexpected transaction listing (HTTP \(reply.status)): \(reply.text.prefix(300))")
        }
        return items.compactMap { item in
            guard let label = item["Label"] as? String, let id = Self.int(item["TxnId"]),
                let state = (item["State"] as? String).flatMap(SinkTransaction.State.init(rawValue:))
            else { return nil }
            var transaction = SinkTransaction(label: label, transactionID: id, state: state)
            if let source = item["Source"] as? [String: Any] {
                transaction.owner = source["Owner"] as? String
                transaction.preparedTime = Self.int(source["PreparedTime"])
                var ranges = [Int32: OffsetRange]()
                for triple in source["Ranges"] as? [[Any]] ?? [] {
                    guard triple.count == 3, let p = Self.int(triple[0]), let f = Self.int(triple[1]),
                        let l = Self.int(triple[2]), f <= l
                    else { continue }
                    ranges[Int32(p)] = OffsetRange(f, l)
                }
                transaction.ranges = ranges
            }
            return transaction
        }
    }

    package func query(database: String, sql: String) throws(SinkError) -> [[String?]] {
        let request = (try? JSONSerialization.data(withJSONObject: ["query": sql])) ?? Data()
        let reply = try call(
            .POST, "/api/v1/catalogs/default_catalog/databases/\(Self.path(database))/sql",
            [("Content-Type", "application/json")], body: Array(request), resend: true)
        guard reply.status == 200 else {
            let reason = (reply.json as? [String: Any])?["msg"] as? String ?? String(reply.text.prefix(300))
            throw SinkError(.permanent, "the sink refused the query (HTTP \(reply.status)): \(reason)")
        }
        var rows = [[String?]]()
        for line in reply.body.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw SinkError(.permanent, "the sink's query answer is not NDJSON: \(reply.text.prefix(300))")
            }
            guard let data = object["data"] as? [Any] else { continue }
            rows.append(data.map { value in value is NSNull ? nil : Self.text(value) })
        }
        return rows
    }

    // MARK: Wire

    /// A JSON value of a result row as text (numbers without a fraction as integers).
    static func text(_ value: Any) -> String {
        if let number = value as? NSNumber {
            let double = number.doubleValue
            if double.rounded() == double, abs(double) < 9e15 { return String(number.int64Value) }
            return number.stringValue
        }
        return value as? String ?? "\(value)"
    }

    /// The `source_batch` header's JSON (docs/transactions.md).
    static func sourceBatchHeader(_ source: RemoteSourceBatch) -> String {
        var object: [String: Any] = [
            "job": source.job, "daemon": source.owner.daemon, "skipped_rows": source.skippedRows,
            "ranges": source.ranges.sorted { $0.key < $1.key }.map { partition, range -> [String: Any] in
                var item: [String: Any] = ["partition": partition, "first": range.first, "last": range.last]
                if let time = source.timestamps[partition] { item["timestamp"] = time }
                return item
            },
        ]
        if let member = source.owner.member { object["member"] = member }
        if let generation = source.owner.generation { object["generation"] = generation }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// A reply's `Status` word as the runtime's ``SinkAnswer``.
    func answer(_ reply: Reply) throws(SinkError) -> SinkAnswer {
        if reply.status == 401 || reply.status == 403 {
            throw SinkError(
                .permanent,
                "the sink refused the credentials of user \(settings.user) (HTTP \(reply.status)): "
                    + "\(reply.message ?? reply.text.prefix(200).description)")
        }
        let message = reply.message ?? ""
        let id = Self.int((reply.json as? [String: Any])?["TxnId"])
        if reply.status == 503 { return SinkAnswer(.busy, message.isEmpty ? "sink busy (HTTP 503)" : message) }
        guard let object = reply.json as? [String: Any], let status = object["Status"] as? String else {
            throw SinkError(
                .permanent,
                "the sink's answer is not a transaction result (HTTP \(reply.status)): \(reply.text.prefix(300))")
        }
        switch status {
        case "OK", "Success", "PUBLISH_TIMEOUT", "Publish Timeout":
            return SinkAnswer(
                .ok, message, transactionID: id, loadBytes: Self.int(object["LoadBytes"]),
                loadedRows: Self.int(object["NumberLoadedRows"]))
        case "LABEL_ALREADY_EXISTS", "Label Already Exists":
            return SinkAnswer(
                .labelAlreadyExists(existingJobStatus: object["ExistingJobStatus"] as? String ?? ""), message,
                transactionID: id)
        case "TXN_NOT_EXISTS": return SinkAnswer(.transactionNotExists, message, transactionID: id)
        case "TXN_IN_PROCESSING": return SinkAnswer(.inProcessing, message, transactionID: id)
        case "SOURCE_RANGE_CONFLICT", "SOURCE_GAP": return SinkAnswer(.sourceConflict, message, transactionID: id)
        default: return SinkAnswer(.failed, "\(status): \(message)", transactionID: id)
        }
    }

    struct Reply {
        var status: Int
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
        var message: String? { (json as? [String: Any]).flatMap { $0["Message"] as? String ?? $0["msg"] as? String } }
    }

    /// One request, following redirects inside the cluster and retrying what can be retried.
    /// - Parameter resend: whether the request may be sent again after it may have reached the
    ///   sink (false for `load`: only a connection that never opened is retried).
    func call(_ method: HTTPMethod, _ path: String, _ headers: [(String, String)], body: [UInt8]? = nil, resend: Bool)
        throws(SinkError) -> Reply
    {
        let deadline = min(ContinuousClock.now + settings.retryFor, self.deadline ?? .now + settings.retryFor)
        var backoff = Backoff(minimum: .milliseconds(100), maximum: .seconds(5))
        while true {
            let failure: String
            do {
                let reply = try send(method, path, headers, body: body)
                guard reply.status >= 500 else { return reply }
                if reply.status == 503 || resend {
                    failure = "HTTP \(reply.status): \(reply.message ?? reply.text.prefix(200).description)"
                } else {
                    return reply
                }
            } catch let error as SinkError {
                throw error
            } catch {
                guard resend || Self.neverSent(error) else {
                    throw SinkError(.unavailable, "\(method) \(path) failed after sending: \(error)")
                }
                failure = "\(error)"
            }
            let pause = backoff.next()
            guard ContinuousClock.now + pause < deadline else {
                throw SinkError(
                    .unavailable,
                    "the sink at \(settings.url.absoluteString) did not answer \(method) \(path): \(failure)")
            }
            wait(pause)
        }
    }

    /// Sends once, following up to 5 redirects within the cluster.
    private func send(_ method: HTTPMethod, _ path: String, _ headers: [(String, String)], body: [UInt8]?) throws
        -> Reply
    {
        var url = settings.url.absoluteString.trimmingSuffix("/") + path
        for _ in 0...5 {
            var request = try HTTPClient.Request(url: url, method: method)
            let token = Data("\(settings.user):\(settings.password)".utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic \(token)")
            request.headers.add(name: "Expect", value: "100-continue")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body {
                request.body = .byteBuffer(ByteBuffer(bytes: body))
            } else if method != .GET {
                request.headers.add(name: "Content-Length", value: "0")
            }
            var timeout = settings.requestTimeout
            if let deadline = self.deadline {
                guard deadline > .now else {
                    throw SinkError(.unavailable, "\(method) \(path) not sent: the revoke's commit deadline passed")
                }
                timeout = min(timeout, deadline - .now)
            }
            let nanoseconds =
                timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            let response = try client.execute(request: request, deadline: .now() + .nanoseconds(nanoseconds)).wait()
            let bytes = response.body.map { Array($0.readableBytesView) } ?? []
            guard [307, 308].contains(Int(response.status.code)) else {
                return Reply(status: Int(response.status.code), body: bytes)
            }
            guard let location = response.headers.first(name: "Location"),
                let next = URL(string: location, relativeTo: URL(string: url)),
                let host = next.host?.lowercased()
            else {
                throw SinkError(.permanent, "the sink redirected \(method) \(path) without a usable Location")
            }
            guard settings.clusterHosts.contains(host) else {
                throw SinkError(
                    .permanent,
                    "the sink redirected \(method) \(path) to \(host), which is not a host of the configured cluster "
                        + "(sink.cluster_hosts); the credentials were not sent there")
            }
            guard !(URL(string: url)?.scheme == "https" && next.scheme == "http") else {
                throw SinkError(.permanent, "the sink redirected \(method) \(path) from https to http; refused")
            }
            url = next.absoluteString
        }
        throw SinkError(.permanent, "the sink redirected \(method) \(path) more than 5 times")
    }

    /// Whether `error` shows the request never left this process (no connection was made).
    static func neverSent(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError, error == .connectTimeout { return true }
        return error is NIOConnectionError
    }

    static func int(_ value: Any?) -> Int64? {
        if let number = value as? NSNumber { return number.int64Value }
        if let text = value as? String { return Int64(text) }
        return nil
    }

    static func path(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? component
    }

    static func query(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-", "_", ".", "~"])) ?? value
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
