import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Talks to a running server's HTTP SQL API (`sluice sql`).
package struct SQLClient: Sendable {
    package var host: String
    package var port: Int
    package var user: String
    package var password: String

    package init(host: String, port: Int, user: String, password: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
    }

    /// One client for the process. A server that is not there fails the request at once (no
    /// connection retries: `sluice sql` must say "cannot reach" now, not after a minute and a half).
    private static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// A parsed response: column names and rows as text, or the server's error.
    package struct Response: Sendable {
        package var status: Int
        package var columns: [String] = []
        package var rows: [[String?]] = []
        package var statistics: [String: Int] = [:]
        package var error: String?
    }

    /// Runs one statement.
    /// - Parameter sessionVariables: sent as the request's `sessionVariables` (e.g. `query_timeout`).
    package func execute(_ query: String, database: String?, sessionVariables: [String: Any] = [:]) async throws
        -> Response
    {
        let path =
            database.map { "/api/v1/catalogs/default_catalog/databases/\($0)/sql" }
            ?? "/api/v1/catalogs/default_catalog/sql"
        var request = HTTPClientRequest(url: "http://\(host):\(port)\(path)")
        request.method = .POST
        let token = Data("\(user):\(password)".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        var object: [String: Any] = ["query": query]
        if !sessionVariables.isEmpty { object["sessionVariables"] = sessionVariables }
        let body = try JSONSerialization.data(withJSONObject: object)
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await Self.http.execute(request, timeout: .seconds(3600))
        let bytes = try await response.body.collect(upTo: 1 << 30)
        return Self.parse(status: Int(response.status.code), body: Data(buffer: bytes))
    }

    static func parse(status: Int, body: Data) -> Response {
        var result = Response(status: status)
        for line in body.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
            if let meta = object["meta"] as? [[String: Any]] {
                result.columns = meta.compactMap { $0["name"] as? String }
            } else if let data = object["data"] as? [Any] {
                result.rows.append(data.map(Self.text))
            } else if let statistics = object["statistics"] as? [String: Any] {
                result.statistics = statistics.compactMapValues { ($0 as? NSNumber)?.intValue }
            } else if object["status"] as? String == "FAILED" {
                result.error = object["msg"] as? String ?? "unknown error"
            }
        }
        return result
    }

    static func text(_ value: Any) -> String? {
        switch value {
        case is NSNull: nil
        case let s as String: s
        case let n as NSNumber: n.stringValue
        default: "\(value)"
        }
    }
}
