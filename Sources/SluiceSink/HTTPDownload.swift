import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// A blocking GET of a whole (small) body: CREATE FILE's download. Called from statement threads,
/// never from an event loop.
package enum HTTPDownload {
    /// - Throws: the transport error, or a message naming a non-2xx status.
    package static func body(of url: String, maxBytes: Int = 1 << 20, timeoutSeconds: Int64 = 30) throws -> [UInt8] {
        let timeout = TimeAmount.seconds(timeoutSeconds)
        let request = try HTTPClient.Request(url: url, method: .GET)
        let response = try HTTPClient.shared.execute(request: request, deadline: .now() + timeout).wait()
        guard (200..<300).contains(response.status.code) else {
            throw DownloadError(message: "HTTP \(response.status.code) \(response.status.reasonPhrase)")
        }
        guard var body = response.body else { return [] }
        guard body.readableBytes <= maxBytes else {
            throw DownloadError(message: "the file is larger than \(maxBytes) bytes")
        }
        return body.readBytes(length: body.readableBytes) ?? []
    }

    struct DownloadError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
