import Foundation
import HTTPTypes
package import Hummingbird
import NIOCore
import SluiceIO
package import SluiceLoad
import SluiceSQL
import SluiceStorage
import SluiceTxn

/// `/api/transaction/{begin,load,prepare,commit,rollback,list}` and `GET /api/{db}/_transactions`
/// (spec §2): the Stream Load transaction interface over HTTP.
package struct TransactionRoutes: Sendable {
    package let loads: TransactionLoads
    package let streamLoad: StreamLoadRoutes

    /// Default `prepared_timeout`, seconds (StarRocks' `prepared_transaction_default_timeout_second`).
    package var defaultPreparedTimeout: Int64 = 86_400
    /// The `source_batch` extension and `_source_progress` (remote-sink daemons).
    package var sourceCommit = SourceCommitAPI()

    static let dataHeaders = [
        "format", "columns", "where", "column_separator", "row_delimiter", "line_delimiter", "partitions",
        "temporary_partitions", "negative", "strict_mode", "timezone", "load_mem_limit", "exec_mem_limit", "jsonpaths",
        "json_root", "strip_outer_array", "partial_update", "partial_update_mode", "merge_condition", "envelope",
        "load_dop",
        "compression", "content-encoding", "max_filter_ratio", "ignore_json_size", "transmission_compression_type",
    ]

    package init(loads: TransactionLoads, streamLoad: StreamLoadRoutes) {
        self.loads = loads
        self.streamLoad = streamLoad
    }

    package func register(on router: Router<SluiceRequestContext>) {
        for op in ["begin", "prepare", "commit", "rollback", "list"] {
            router.post(RouterPath("/api/transaction/\(op)")) { request, context in
                try await handle(op, request, context)
            }
            router.put(RouterPath("/api/transaction/\(op)")) { request, context in
                try await handle(op, request, context)
            }
        }
        router.put("/api/transaction/load") { request, context in try await handle("load", request, context) }
        router.post("/api/transaction/:op") { request, context in
            try await handle(context.parameters.get("op") ?? "", request, context)
        }
        router.put("/api/transaction/:op") { request, context in
            try await handle(context.parameters.get("op") ?? "", request, context)
        }
        sourceCommit.register(on: router, authenticator: streamLoad.authenticator, engine: loads.service.engine)
        router.get("/api/:db/_transactions") { request, context in
            switch await streamLoad.authenticator.login(request, context) {
            case .refused(let response): return response
            case .login(let login):
                return try await BlockingIO.run(.foreground) { listByPrefix(request, context, login) }
            }
        }
    }

    func header(_ request: Request, _ name: String) -> String? {
        HTTPField.Name(name).flatMap { request.headers[$0] }.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap {
            $0.isEmpty ? nil : $0
        }
    }

    func handle(_ op: String, _ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let login: Logins.Login
        switch await streamLoad.authenticator.login(request, context) {
        case .refused(let response): return response
        case .login(let accepted): login = accepted
        }
        let host = request.head.authority ?? streamLoad.advertisedAddress
        guard let operation = TransactionOutcome.Operation(rawValue: op) else {
            if op == "list" { return try await BlockingIO.run(.foreground) { list(login) } }
            return Self.respond(
                TransactionOutcome(.begin, .rejected, "Unknown transaction operation: \(op)"), host: host)
        }
        if header(request, "transaction_type")?.lowercased() == "multi" {
            return Self.respond(
                TransactionOutcome(
                    operation, .invalidArgument,
                    "Multi-statement transaction requests can only be sent to FE nodes, not BE nodes"), host: host)
        }
        guard let label = header(request, "label") else {
            return Self.respond(TransactionOutcome(operation, .rejected, "Empty label."), host: host)
        }
        guard let database = header(request, "db") else {
            return Self.respond(
                TransactionOutcome(operation, .rejected, "No database selected.", label: label), host: host)
        }
        // Every operation takes INSERT on the transaction's table (StarRocks: the table named at
        // begin; later calls may name it again or not).
        let engine = loads.service.engine
        let named = header(request, "table")
        if let table = operation == .begin ? named : loads.table(database: database, label: label) ?? named,
            let denied = login.denial(.insert, database: database, table: table, engine: engine)
        {
            return denied
        }
        switch operation {
        case .begin:
            guard let table = header(request, "table") else {
                return Self.respond(
                    TransactionOutcome(.begin, .rejected, "No table selected.", label: label), host: host)
            }
            guard let timeout = seconds(header(request, "timeout"), default: 600),
                let idle = seconds(header(request, "idle_transaction_timeout"), default: -1)
            else {
                return Self.respond(
                    TransactionOutcome(.begin, .invalidArgument, "Invalid timeout format", label: label), host: host)
            }
            let answer = try await BlockingIO.run {
                loads.begin(
                    database: database, table: table, label: label, timeoutSeconds: max(1, timeout),
                    idleTimeoutSeconds: idle > 0 ? idle : nil)
            }
            return Self.respond(answer, host: host)
        case .load:
            guard streamLoad.admission.enter() else { return streamLoad.tooBusy() }
            defer { streamLoad.admission.leave() }
            return try await load(request, database: database, label: label, host: host)
        case .prepare:
            var timeout = defaultPreparedTimeout
            if let text = header(request, "prepared_timeout") {
                guard let value = Int64(text), value > 0 else {
                    return Self.respond(
                        TransactionOutcome(
                            .prepare, .invalidArgument, "Invalid prepared_timeout: \(text)", label: label), host: host)
                }
                timeout = value
            }
            let preparedTimeout = timeout
            return Self.respond(
                try await BlockingIO.run {
                    let source: SourceBatch?
                    do throws(TransactionOutcome) {
                        source = try sourceBatch(request, database: database, operation: .prepare)
                    } catch {
                        var answer = error
                        answer.label = label
                        return answer
                    }
                    return loads.prepare(
                        database: database, label: label, timeoutSeconds: preparedTimeout, source: source)
                }, host: host)
        case .commit:
            return Self.respond(
                try await BlockingIO.run {
                    let source: SourceBatch?
                    do throws(TransactionOutcome) {
                        source = try sourceBatch(request, database: database, operation: .commit)
                    } catch {
                        var answer = error
                        answer.label = label
                        return answer
                    }
                    return loads.commit(database: database, label: label, source: source)
                }, host: host)
        case .rollback:
            return Self.respond(
                try await BlockingIO.run { loads.rollback(database: database, label: label) }, host: host)
        }
    }

    /// The request's `source_batch`, bound to its job (nil without the header). A PREPARED
    /// transaction keeps the batch it prepared with; one on its commit is not read.
    func sourceBatch(_ request: Request, database: String, operation: TransactionOutcome.Operation)
        throws(TransactionOutcome) -> SourceBatch?
    {
        guard let value = header(request, SourceCommitAPI.headerName) else { return nil }
        guard sourceCommit.enabled else {
            throw TransactionOutcome(
                operation, .invalidArgument,
                "source_batch is a Sluice extension that is off on this node (load.source_commit_api=false); "
                    + "use the daemon's standard sink API")
        }
        let remote: RemoteSourceBatch
        do {
            remote = try SourceCommitAPI.parse(value)
        } catch {
            throw TransactionOutcome(operation, .invalidArgument, error.message)
        }
        return try loads.sourceBatch(remote, database: database, operation: operation)
    }

    func seconds(_ text: String?, default value: Int) -> Int? {
        guard let text else { return value }
        return Int32(text).map(Int.init)
    }

    func load(_ request: Request, database: String, label: String, host: String) async throws -> Response {
        let headers = StreamLoadHeaders(fields: request.headers)
        let contentLength = request.headers[.contentLength].flatMap { Int($0) }
        let limits = streamLoad.limits
        let format: LoadOptions.Format
        do {
            (format, _) = try headers.validateBeforeBegin(contentLength: contentLength, limits: limits, label: label)
        } catch {
            return Self.respond(
                TransactionOutcome(.load, .invalidArgument, error.message, label: label), host: host, close: true)
        }
        var options = LoadOptions()
        options.format = format
        options.nowMicros = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let signature = Self.dataHeaders.map { "\($0)=\(headers.value($0) ?? "")" }.joined(separator: "\n")
        let ticket: TransactionLoads.LoadTicket
        switch await loads.startLoadAsync(
            database: database, label: label, table: header(request, "table"), signature: signature,
            options: options, configure: { options, _ in try headers.configure(&options, limits: limits) })
        {
        case .failure(let answer): return Self.respond(answer, host: host)
        case .success(let claimed): ticket = claimed
        }
        guard let decoder = BodyDecoder(encoding: headers.contentEncoding) else {
            return Self.respond(
                await loads.endLoadAsync(ticket, failure: "cannot decode \(headers.contentEncoding ?? "")"), host: host)
        }
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await FeedPipeline.stream(request.body, decoder: decoder, load: ticket.load) { _ in }
        } catch let error as LoadError {
            return Self.respond(await loads.endLoadAsync(ticket, failure: error.message), host: host)
        } catch {
            return Self.respond(
                await loads.endLoadAsync(ticket, failure: "receive body don't equal with body bytes"), host: host)
        }
        var answer = await loads.endLoadAsync(ticket)
        answer.receiveMilliseconds = LoadService.milliseconds(clock.now - start)
        return Self.respond(answer, host: host)
    }

    /// The open transactions in databases `login` may see.
    func list(_ login: Logins.Login) -> Response {
        let authorizer = Authorizer(
            access: loads.service.engine.access, identity: login.identity, activeRoles: login.roles)
        let items = loads.openTransactions.filter { authorizer.sees(database: $0.database) }.map { t in
            "{\"Label\":\(JSONText.string(t.label)),\"TxnId\":\(t.transactionID),\"InProcessing\":\(t.inProcessing),"
                + "\"NumberTotalRows\":\(t.counters.totalRows),\"NumberLoadedRows\":\(t.counters.loadedRows),"
                + "\"NumberFilteredRows\":\(t.counters.filteredRows),\"NumberUnselectedRows\":\(t.counters.unselectedRows),"
                + "\"LoadBytes\":\(t.counters.receivedBytes)}"
        }
        return Self.json("[" + items.joined(separator: ",") + "]")
    }

    /// `GET /api/{db}/_transactions?label_prefix=P`: committed, PREPARED and open transactions
    /// whose label starts with P, with their attachments (how a client recovers what committed).
    func listByPrefix(_ request: Request, _ context: SluiceRequestContext, _ login: Logins.Login) -> Response {
        guard let database = context.parameters.get("db") else { return RestResult.failed("No database selected.") }
        if !SystemCatalog.isSystemDatabase(database),
            let denied = login.denial(.any, on: .database(database), loads.service.engine.access)
        {
            return denied
        }
        let prefix = request.uri.queryParameters.get("label_prefix").map { String($0) } ?? ""
        let engine = loads.service.engine
        let meta = engine.metaState
        guard let db = meta.database(named: database) else {
            return RestResult.failed("unknown database, database=\(database)")
        }
        var rows = [(label: String, id: Int64, state: String, attachment: [UInt8]?, source: String?)]()
        for (label, entry) in meta.labels[db.id] ?? [:] where label.hasPrefix(prefix) {
            rows.append((label, entry.transactionID, "VISIBLE", entry.attachment, nil))
        }
        for prepared in meta.prepared.values where prepared.databaseID == db.id && prepared.label.hasPrefix(prefix) {
            let source = sourceCommit.enabled ? SourceCommitAPI.describe(prepared, jobs: meta.jobs) : nil
            rows.append((prepared.label, prepared.transactionID, "PREPARED", prepared.attachment, source))
        }
        for open in loads.openTransactions where open.database == db.name && open.label.hasPrefix(prefix) {
            rows.append((open.label, open.transactionID, "PREPARE", nil, nil))
        }
        rows.sort { $0.id < $1.id }
        let items = rows.map { row in
            let attachment = row.attachment.map { JSONText.string(String(decoding: $0, as: UTF8.self)) } ?? "null"
            return "{\"Label\":\(JSONText.string(row.label)),\"TxnId\":\(row.id),\"State\":\"\(row.state)\","
                + "\"Attachment\":\(attachment)" + (row.source.map { ",\"Source\":\($0)" } ?? "") + "}"
        }
        return Self.json("[" + items.joined(separator: ",") + "]")
    }

    static func json(_ text: String) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func respond(_ answer: TransactionOutcome, host: String, close: Bool = false) -> Response {
        let url = answer.result?.errorLogName.map { "http://\(host)/api/_load_error_log?file=\($0)" }
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        if close { fields[.connection] = "close" }
        // Refused by the load limits (the transaction stays open): 503 + Retry-After, as a
        // Stream Load refused at admission.
        let busy = answer.code == .busy
        if busy { fields[.retryAfter] = "1" }
        return Response(
            status: busy ? .serviceUnavailable : .ok, headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(string: TransactionResponse.render(answer, errorURL: url))))
    }
}
