import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import SluiceFormat

/// S3-compatible object storage as a ``FileStore``: ListObjectsV2 (paged) to list, ranged GETs to
/// read, every request signed with SigV4 when keys are given. Blocking: each call waits for its
/// response on the calling (load or statement) thread, never on an event loop.
package final class S3Files: FileStore {
    /// One client for the process. An endpoint that refuses connections fails a request at once
    /// (no connection retries until the deadline): the load reports it.
    private static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    package let settings: S3Settings
    private let client = S3Files.sharedClient
    private let timeout: TimeAmount
    /// Keys per ListObjectsV2 page (S3's maximum is 1000).
    private let pageSize: Int

    /// - Parameter timeout: how long one request may take.
    package init(settings: S3Settings, timeout: Duration = .seconds(300), pageSize: Int = 1000) {
        self.settings = settings
        self.timeout = .seconds(max(1, timeout.components.seconds))
        self.pageSize = pageSize
    }

    // MARK: FileStore

    package func list(_ location: String) throws(FileSourceError) -> [ListedFile] {
        let target = try S3Location(location)
        var pattern = target.key
        if pattern.isEmpty || pattern.hasSuffix("/") { pattern += "*" }
        let components = pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var globs = [GlobPattern]()
        for component in components { globs.append(try GlobPattern(component)) }
        let prefix = Self.literalPrefix(of: pattern)
        var files = [ListedFile]()
        for object in try listObjects(bucket: target.bucket, prefix: prefix) where !object.key.hasSuffix("/") {
            let parts = object.key.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == globs.count,
                zip(parts, globs).allSatisfy({ part, glob in glob.matches(String(part)) })
            else { continue }
            files.append(
                ListedFile(
                    path: S3Location.url(bucket: target.bucket, key: object.key), size: Int(object.size),
                    version: object.etag, modifiedMillis: Self.epochMillis(object.lastModified)))
        }
        guard !files.isEmpty else { throw FileSourceError.noFilesFound([location]) }
        return files.sorted { $0.path < $1.path }
    }

    package func read(_ file: ListedFile, offset: Int, length: Int) throws(FileSourceError) -> [UInt8] {
        guard length > 0 else { return [] }
        let target = try S3Location(file.path)
        let response = try send(
            "GET", bucket: target.bucket, key: target.key,
            headers: [("Range", "bytes=\(offset)-\(offset + length - 1)")], what: "read \(file.path)",
            accept: [200, 206, 416])
        if response.status.code == 416 { return [] }
        var body = response.body ?? ByteBuffer()
        var bytes = body.readBytes(length: body.readableBytes) ?? []
        if response.status.code == 200 {
            // A server that ignores Range sends the whole object.
            bytes = Array(bytes.dropFirst(offset).prefix(length))
        }
        return bytes
    }

    // MARK: Requests

    /// Every object under `prefix`, following continuation tokens.
    package func listObjects(bucket: String, prefix: String) throws(FileSourceError) -> [S3Listing.Object] {
        var objects = [S3Listing.Object]()
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(pageSize))]
            if let token { query.append(("continuation-token", token)) }
            let response = try send(
                "GET", bucket: bucket, key: "", query: query,
                what: "list \(S3Location.url(bucket: bucket, key: prefix))")
            let page = try S3Listing(xml: response.body.map { String(buffer: $0) } ?? "")
            objects += page.objects
            token = page.continuationToken
        } while token != nil
        return objects
    }

    /// Stores `bytes` under `key` (test fixtures, future unloads).
    package func put(bucket: String, key: String, bytes: [UInt8]) throws(FileSourceError) {
        _ = try send(
            "PUT", bucket: bucket, key: key, body: bytes, what: "write \(S3Location.url(bucket: bucket, key: key))")
    }

    /// Creates `bucket` in the settings' region.
    package func createBucket(_ bucket: String) throws(FileSourceError) {
        _ = try send("PUT", bucket: bucket, key: "", body: [], what: "create bucket \(bucket)")
    }

    /// Removes `key` (test fixtures).
    package func delete(bucket: String, key: String) throws(FileSourceError) {
        _ = try send(
            "DELETE", bucket: bucket, key: key, what: "delete \(S3Location.url(bucket: bucket, key: key))",
            accept: [200, 204])
    }

    /// One signed request.
    /// - Throws: `.io` naming `what`, S3's error code and message (or the transport error).
    private func send(
        _ method: String, bucket: String, key: String, query: [(String, String)] = [],
        headers extra: [(String, String)] = [], body: [UInt8]? = nil, what: String, accept: Set<UInt> = [200]
    ) throws(FileSourceError) -> HTTPClient.Response {
        let (url, host, path) = address(bucket: bucket, key: key, query: query)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        for (name, value) in extra { headers.add(name: name, value: value) }
        if settings.signs {
            let payload = body.map { SigV4.payloadHash($0) } ?? SigV4.emptyPayloadHash
            let signer = SigV4(accessKey: settings.accessKey, secretKey: settings.secretKey, region: settings.region)
            let signed = signer.sign(
                method: method, path: path, query: query, headers: [("host", host)] + extra, payloadHash: payload,
                date: SigV4.timestamp(Int64(Date().timeIntervalSince1970)))
            for (name, value) in signed { headers.add(name: name, value: value) }
        }
        let response: HTTPClient.Response
        do {
            let request = try HTTPClient.Request(
                url: url, method: HTTPMethod(rawValue: method), headers: headers, body: body.map { .bytes($0) })
            response = try client.execute(request: request, deadline: .now() + timeout).wait()
        } catch {
            throw FileSourceError(.io, "Failed to \(what): cannot reach \(settings.endpoint) (\(error))")
        }
        guard accept.contains(response.status.code) else {
            let text = response.body.map { String(buffer: $0) } ?? ""
            let code = S3Listing.value(of: "Code", in: text[...]) ?? response.status.reasonPhrase
            let message = S3Listing.value(of: "Message", in: text[...]).map { ": \($0)" } ?? ""
            throw FileSourceError(.io, "Failed to \(what): \(code)\(message) (HTTP \(response.status.code))")
        }
        return response
    }

    /// The URL, the `Host` header and the canonical path of a request.
    private func address(bucket: String, key: String, query: [(String, String)]) -> (
        url: String, host: String, path: String
    ) {
        let schemeEnd = settings.endpoint.range(of: "://")!.upperBound
        let scheme = settings.endpoint[..<schemeEnd]
        var host = String(settings.endpoint[schemeEnd...])
        let encodedKey = SigV4.encode(key, keepSlash: true)
        let path: String
        if settings.pathStyle {
            path = "/\(bucket)" + (key.isEmpty ? (query.isEmpty ? "" : "/") : "/\(encodedKey)")
        } else {
            host = "\(bucket).\(host)"
            path = "/\(encodedKey)"
        }
        let queryText = query.map { "\(SigV4.encode($0.0))=\(SigV4.encode($0.1))" }.joined(separator: "&")
        return ("\(scheme)\(host)\(path)" + (queryText.isEmpty ? "" : "?\(queryText)"), host, path)
    }

    /// The key up to its first glob character (`*`, `?`, `[`, `{`, `\`): what ListObjectsV2 can
    /// narrow the listing by.
    static func literalPrefix(of pattern: String) -> String {
        String(pattern.prefix { !"*?[{\\".contains($0) })
    }

    /// Epoch milliseconds of an ISO 8601 `LastModified` (`2026-12-05T10:00:00.000Z`); 0 if unreadable.
    package static func epochMillis(_ text: String) -> Int64 {
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for b in bytes[from..<(from + count)] {
                guard b >= 48 && b <= 57 else { return nil }
                value = value * 10 + Int64(b - 48)
            }
            return value
        }
        guard let y = number(0, 4), let mo = number(5, 2), let d = number(8, 2), let h = number(11, 2),
            let mi = number(14, 2), let s = number(17, 2)
        else { return 0 }
        let millis = bytes.count > 19 && bytes[19] == UInt8(ascii: ".") ? number(20, 3) ?? 0 : 0
        let days = CivilTime.days(year: Int(y), month: Int(mo), day: Int(d))
        return ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + millis
    }
}

extension SigV4 {
    /// The hex SHA-256 of a request body (`x-amz-content-sha256`).
    package static func payloadHash(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }
}
