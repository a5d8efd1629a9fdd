import Foundation
import HTTPTypes
package import Hummingbird
package import Logging
import NIOCore
import SluiceIO
package import SluiceLoad
import SluiceSQL
import SluiceStorage
import SluiceTxn

/// `PUT /api/{db}/{table}/_stream_load`, `GET /api/{db}/get_load_state` and
/// `GET /api/_load_error_log` (spec §1, §0.3).
///
/// One process plays both StarRocks roles: it answers like a BE (no redirect, `Expect` optional,
/// HTTP 200 with the result JSON for every load outcome) but refuses bad credentials like the FE
/// (HTTP 401 with `WWW-Authenticate`).
package struct StreamLoadRoutes: Sendable {
    package let service: LoadService
    package let authenticator: Authenticator
    /// `streaming_load_max_mb` in bytes. Default 100 GiB (StarRocks' 102400 MB).
    package var streamingLoadMaxBytes = 102_400 << 20
    /// Memory a load may buffer before flushing segments. Default 48 MiB.
    package var defaultMemoryLimit = 48 << 20
    /// Host:port used in `ErrorURL` when the request has no `Host` header.
    package var advertisedAddress: String
    /// One line per finished load (info), per failed load (warning), per refused login (warning).
    package var logger = Logger(label: "sluice")
    /// Loads receiving data at once, shared with the transaction interface's `load` calls.
    package var admission = LoadAdmission(limit: 64)
    package init(service: LoadService, authenticator: Authenticator, advertisedAddress: String) {
        self.service = service
        self.authenticator = authenticator
        self.advertisedAddress = advertisedAddress
    }

    var limits: StreamLoadHeaders.Limits {
        .init(streamingLoadMaxBytes: streamingLoadMaxBytes, defaultMemoryLimit: defaultMemoryLimit)
    }

    package func register(on router: Router<SluiceRequestContext>) {
        // Hummingbird matches a trailing `/` to the same route.
        router.put("/api/:db/:table/_stream_load") { request, context in try await streamLoad(request, context) }
        router.get("/api/:db/get_load_state") { request, context in
            switch await authenticator.login(request, context) {
            case .refused(let response): return response
            case .login(let login):
                // Reads engine state under its lock (which a DDL holds across an fsync): off the pool.
                return try await BlockingIO.run(.foreground) { loadState(request, context, login) }
            }
        }
        router.get("/api/_load_error_log") { request, context in
            // StarRocks' BE serves error logs without credentials; Sluice does so only while root
            // has no password (anyone is root then anyway).
            if request.headers[.authorization] == nil, let anonymous = authenticator.logins.anonymousLogin() {
                return try await errorLog(request, anonymous)
            }
            switch await authenticator.login(request, context) {
            case .refused(let response): return response
            case .login(let login): return try await errorLog(request, login)
            }
        }
    }

    // MARK: Stream Load

    /// Whether the header checks that precede the body pass (used to decide on `100 Continue`).
    package func acceptsBody(_ head: HTTPRequest) -> Bool {
        let headers = StreamLoadHeaders(fields: head.headerFields)
        let length = head.headerFields[.contentLength].flatMap { Int($0) }
        return (try? headers.validateBeforeBegin(contentLength: length, limits: limits, label: "")) != nil
    }

    func streamLoad(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let login: Logins.Login
        switch await authenticator.login(request, context) {
        case .refused(let response): return response
        case .login(let accepted): login = accepted
        }
        let database = (context.parameters.get("db") ?? "").removingPercentEncoding ?? ""
        let table = (context.parameters.get("table") ?? "").removingPercentEncoding ?? ""
        if let denied = login.denial(.insert, database: database, table: table, engine: service.engine) {
            return denied
        }
        guard admission.enter() else { return tooBusy() }
        defer { admission.leave() }
        let headers = StreamLoadHeaders(fields: request.headers)
        let label = headers.label ?? UUID().uuidString.lowercased()
        let contentLength = request.headers[.contentLength].flatMap { Int($0) }
        let host = request.head.authority ?? advertisedAddress
        let started = ContinuousClock().now

        let format: LoadOptions.Format
        let timeout: Int
        do {
            (format, timeout) = try headers.validateBeforeBegin(
                contentLength: contentLength, limits: limits, label: label)
        } catch {
            // Decided before the body: close so a client that sent no Expect stops uploading.
            return respond(
                LoadResult(label: label, status: .fail, message: error.message), host: host,
                target: "\(database).\(table)", close: true)
        }
        var options = LoadOptions()
        options.format = format
        options.nowMicros = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let limits = self.limits
        let load: RunningLoad
        switch await service.beginLoad(
            database: database, table: table, label: label, options: options,
            configure: { options, _ in
                try headers.configure(&options, limits: limits)
            })
        {
        case .failure(let failure):
            return respond(failure.result, host: host, target: "\(database).\(table)")
        case .success(let running):
            load = running
        }

        guard let decoder = BodyDecoder(encoding: headers.contentEncoding) else {
            return respond(
                await load.abortLoad("cannot decode \(headers.contentEncoding ?? "")", code: .invalidArgument),
                host: host, target: "\(database).\(table)")
        }
        let deadline = started + .seconds(timeout)
        let received: Int
        do {
            let maxBytes = streamingLoadMaxBytes
            received = try await FeedPipeline.stream(request.body, decoder: decoder, load: load, deadline: deadline) {
                received in
                if received > maxBytes {
                    throw LoadError(
                        .bodyTooLarge,
                        "body size \(received) exceed limit: \(maxBytes), label=\(label). You can increase the limit by setting streaming_load_max_mb in be.conf."
                    )
                }
            }
        } catch let error as LoadError {
            // A body cut off by the timer was not read to its end: close the connection.
            return respond(
                await load.abortLoad(error.message, code: error.code), host: host, target: "\(database).\(table)",
                close: error.code == .timeout)
        } catch let error as SluiceIO.IOError {
            return respond(await load.abortLoad("\(error)", code: .storage), host: host, target: "\(database).\(table)")
        } catch {
            // The client went away or the body broke off: nothing becomes visible, the label stays free.
            return respond(
                await load.abortLoad("receive body don't equal with body bytes", code: .bodyIncomplete), host: host,
                target: "\(database).\(table)")
        }
        if let contentLength, received != contentLength {
            return respond(
                await load.abortLoad("receive body don't equal with body bytes", code: .bodyIncomplete), host: host,
                target: "\(database).\(table)")
        }
        if ContinuousClock().now > deadline {
            return respond(
                await load.abortLoad("timeout by txn manager", code: .timeout), host: host,
                target: "\(database).\(table)")
        }
        let result = await load.finishLoad()
        return respond(result, host: host, target: "\(database).\(table)")
    }

    /// The answer to a Stream Load request (counted for `/metrics` by its `Status`).
    func respond(_ result: LoadResult, host: String, target: String, close: Bool = false) -> Response {
        service.recordAnswer(StreamLoadResponse.status(result.status))
        let c = result.counters
        var metadata: Logger.Metadata = [
            "label": "\(result.label)", "table": "\(target)", "status": "\(StreamLoadResponse.status(result.status))",
            "loaded": "\(c.loadedRows)", "filtered": "\(c.filteredRows)", "unselected": "\(c.unselectedRows)",
            "bytes": "\(c.receivedBytes)", "ms": "\(result.totalMilliseconds)",
        ]
        if result.status == .success {
            logger.info("stream load finished", metadata: metadata)
        } else {
            metadata["reason"] = "\(result.message)"
            logger.warning("stream load failed", metadata: metadata)
        }
        let url = result.errorLogName.map { "http://\(host)/api/_load_error_log?file=\($0)" }
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        // Refused for memory before any byte was written: 503 so clients retry (same label).
        let busy = result.errorCode == .tooBusy
        if busy { fields[.retryAfter] = "1" }
        if close || busy { fields[.connection] = "close" }
        return Response(
            status: busy ? .serviceUnavailable : .ok, headers: fields,
            body: ResponseBody(
                byteBuffer: ByteBuffer(
                    string: StreamLoadResponse.render(
                        result, errorURL: url, host: String(host.split(separator: ":").first ?? "127.0.0.1")))))
    }

    /// HTTP 503 with `Retry-After` and a Stream Load-shaped `Fail` answer naming the limit; the
    /// connection closes so a client that sent no `Expect` stops uploading.
    func tooBusy() -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.retryAfter] = "1"
        fields[.connection] = "close"
        let body = "{\"Status\":\"Fail\",\"Message\":\(JSONText.string(admission.busyMessage))}"
        return Response(
            status: .serviceUnavailable, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    // MARK: Label state and error logs

    func loadState(_ request: Request, _ context: SluiceRequestContext, _ login: Logins.Login) -> Response {
        guard let database = context.parameters.get("db"), !database.isEmpty else {
            return RestResult.failed("No database selected.")
        }
        if let denied = login.denial(.any, on: .database(database), service.engine.access) { return denied }
        guard let label = request.uri.queryParameters.get("label"), !label.isEmpty else {
            return RestResult.failed("No label selected.")
        }
        do {
            let (state, _, reason) = try service.transactions.state(database: database, label: label)
            var extra = [("state", JSONText.string(state.rawValue))]
            if let reason { extra.append(("reason", JSONText.string(reason))) }
            return RestResult.ok(extra)
        } catch {
            return RestResult.failed("\(error)")
        }
    }

    /// An error log, for users who may read its table (SELECT); a log whose table is gone (or
    /// that names none) only for those who may read every table.
    func errorLog(_ request: Request, _ login: Logins.Login) async throws -> Response {
        guard let name = request.uri.queryParameters.get("file"), ErrorLog.isValidName(name) else {
            return Response(
                status: .badRequest, body: ResponseBody(byteBuffer: ByteBuffer(string: "invalid error log file name\n"))
            )
        }
        let engine = service.engine
        let meta = engine.metaState
        var object = PrivilegeObject.allTablesInAllDatabases
        if let tableID = ErrorLog.tableID(ofName: name),
            let database = meta.databases.values.first(where: { $0.tables[tableID] != nil }),
            let table = database.tables[tableID]
        {
            object = .table(database: database.name, name: table.name)
        }
        if let denied = login.denial(.privilege(.select), on: object, engine.access) { return denied }
        let path = FilePath.join(engine.directory.errorsDirectory, name)
        guard let bytes = try? await BlockingIO.run(.foreground, { try engine.fileSystem.readFile(path) }) else {
            return Response(
                status: .notFound, body: ResponseBody(byteBuffer: ByteBuffer(string: "error log \(name) not found\n")))
        }
        var fields = HTTPFields()
        fields[.contentType] = "text/plain; charset=UTF-8"
        return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
