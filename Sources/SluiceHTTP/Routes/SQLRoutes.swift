import Foundation
import HTTPTypes
package import Hummingbird
import Logging
import NIOCore
import SluiceExpr
import SluiceFormat
import SluiceIO
package import SluiceSQL
import Synchronization

/// The HTTP SQL API (`spec/http-sql-api.md`): one statement per POST, NDJSON result.
package struct SQLRoutes: Sendable {
    package let executor: SQLExecutor
    package let authenticator: Authenticator
    /// Largest accepted request body. Default 1 MiB.
    package var maxRequestBytes = 1 << 20
    private let connections = ConnectionCounter()

    /// `host:port` for URLs in results when the request has no Host header.
    package var advertisedAddress = "127.0.0.1:8030"

    package init(executor: SQLExecutor, authenticator: Authenticator) {
        self.executor = executor
        self.authenticator = authenticator
    }

    package func register(on router: Router<SluiceRequestContext>) {
        router.post("/api/v1/catalogs/:catalog/databases/:db/sql") { request, context in
            try await handle(request, context, database: context.parameters.get("db"))
        }
        router.post("/api/v1/catalogs/:catalog/sql") { request, context in
            try await handle(request, context, database: nil)
        }
    }

    func handle(_ request: Request, _ context: SluiceRequestContext, database: String?) async throws -> Response {
        let login: Logins.Login
        switch await authenticator.authenticate(request.headers, clientHost: context.clientHost) {
        case .missing:
            return Self.failure(.unauthorized, "Need auth information.", authenticate: true)
        case .denied(let user):
            return Self.failure(.unauthorized, "Access denied for user '\(user)'", authenticate: true)
        case .authenticated(let accepted):
            login = accepted
        }
        if let catalog = context.parameters.get("catalog"), catalog != "default_catalog" {
            return Self.failure(.notFound, "Unknown catalog '\(catalog)'; only default_catalog exists")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxRequestBytes)
        } catch {
            return Self.failure(.contentTooLarge, "request body exceeds \(maxRequestBytes) bytes")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let query = object["query"] as? String
        else {
            return Self.failure(.badRequest, "request body must be a JSON object with a \"query\" string")
        }
        var session = Session(
            database: database, nowMicros: ContinuousClockEpochMicros.now(),
            address: request.head.authority ?? advertisedAddress)
        session.identity = login.identity
        session.activeRoles = login.roles
        session.clientHost = context.clientHost
        if let variables = object["sessionVariables"] as? [String: Any] {
            for (key, value) in variables {
                switch key.lowercased() {
                case "time_zone":
                    guard let name = value as? String, let zone = SessionTimeZone(name) else {
                        return Self.failure(.badRequest, "Unknown or incorrect time zone: '\(value)'")
                    }
                    session.timeZone = zone
                case "query_timeout":
                    guard let seconds = Self.positiveInteger(value), seconds <= 259_200 else {
                        return Self.failure(
                            .badRequest,
                            "query_timeout must be a whole number of seconds from 1 to 259200, not '\(value)'")
                    }
                    session.queryTimeoutSeconds = seconds
                case "query_mem_limit", "exec_mem_limit":
                    guard let bytes = Self.positiveInteger(value) else {
                        return Self.failure(.badRequest, "\(key) must be a positive number of bytes, not '\(value)'")
                    }
                    session.queryMemoryLimit = bytes
                default:
                    continue
                }
            }
        }
        let executor = self.executor
        let cancellation = QueryCancellation()
        session.cancellation = cancellation
        // A client that disconnects stops its statement at the next batch.
        let logger = context.logger
        context.channel.closeFuture.whenComplete { _ in
            guard !cancellation.isCancelled else { return }
            cancellation.cancel()
            logger.debug("connection closed: its statement, if still running, stops at its next batch")
        }
        let statementSession = session
        // A cancelled request task (client gone, server stopping) stops the statement at its
        // next batch.
        let outcome: Result<StatementResult, SQLError> = try await withTaskCancellationHandler {
            try await BlockingIO.run {
                do {
                    return .success(try executor.execute(query, session: statementSession))
                } catch let error as SQLError {
                    return .failure(error)
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
        switch outcome {
        case .failure(let error):
            if error.code == .cancelled { logger.info("statement stopped: \(error.message)") }
            return Self.failure(Self.status(for: error.code), error.message)
        case .success(let result):
            let connectionID = connections.next()
            var headers = HTTPFields()
            headers[.contentType] = "application/x-ndjson; charset=UTF-8"
            headers[HTTPField.Name("X-StarRocks-Query-Id")!] = UUID().uuidString.lowercased()
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    for chunk in NDJSONEncoder.lines(result, connectionID: connectionID) {
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                    try await writer.finish(nil)
                })
        }
    }

    /// A JSON number or numeric string that is a positive integer.
    static func positiveInteger(_ value: Any) -> Int? {
        let number: Int?
        if let text = value as? String {
            number = Int(text.trimmingCharacters(in: .whitespaces))
        } else if let n = value as? NSNumber {
            number = Int(exactly: n.doubleValue)
        } else {
            number = nil
        }
        guard let number, number > 0 else { return nil }
        return number
    }

    static func status(for code: SQLError.Code) -> HTTPResponse.Status {
        switch code {
        case .notFound, .unknownDatabase, .unknownTable: .notFound
        case .accessDenied: .forbidden
        case .tooLong: .contentTooLarge
        case .internalError: .internalServerError
        default: .badRequest
        }
    }

    /// `{"status":"FAILED","msg":"…"}` with the given HTTP status.
    static func failure(_ status: HTTPResponse.Status, _ message: String, authenticate: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if authenticate { headers[.wwwAuthenticate] = "Basic realm=\"\"" }
        let body = "{\"status\":\"FAILED\",\"msg\":\(JSONText.string(message))}"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Microseconds since the epoch for statement start times.
enum ContinuousClockEpochMicros {
    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }
}

/// Encodes a statement result as the API's NDJSON lines, in chunks of about 64 KiB.
enum NDJSONEncoder {
    static func lines(_ result: StatementResult, connectionID: Int) -> [[UInt8]] {
        var chunks = [[UInt8]]()
        var out = [UInt8]()
        func line(_ text: String) {
            out.append(contentsOf: Array(text.utf8))
            out.append(10)
        }
        switch result {
        case .ok(let statistics):
            line("{\"connectionId\":\(connectionID)}")
            line(statisticsLine(statistics))
        case .rows(let set, let statistics):
            line("{\"connectionId\":\(connectionID)}")
            let meta = set.columns.map {
                "{\"name\":\(JSONText.string($0.name)),\"type\":\(JSONText.string($0.type.metaName))}"
            }
            line("{\"meta\":[\(meta.joined(separator: ","))]}")
            for batch in set.batches {
                let rows = batch.first?.count ?? 0
                for r in 0..<rows {
                    out.append(contentsOf: Array("{\"data\":[".utf8))
                    for (c, column) in batch.enumerated() {
                        if c > 0 { out.append(UInt8(ascii: ",")) }
                        JSONText.appendValue(column, r, to: &out)
                    }
                    out.append(contentsOf: Array("]}\n".utf8))
                    if out.count > 65536 {
                        chunks.append(out)
                        out.removeAll(keepingCapacity: true)
                    }
                }
            }
            line(statisticsLine(statistics))
        }
        chunks.append(out)
        return chunks
    }

    static func statisticsLine(_ s: QueryStatistics) -> String {
        var fields = ["\"scanRows\":\(s.scanRows)", "\"scanBytes\":\(s.scanBytes)", "\"returnRows\":\(s.returnRows)"]
        if let affected = s.affectedRows { fields.append("\"affectedRows\":\(affected)") }
        return "{\"statistics\":{\(fields.joined(separator: ","))}}"
    }
}

/// Hands out `connectionId`s.
final class ConnectionCounter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).newValue }
}
