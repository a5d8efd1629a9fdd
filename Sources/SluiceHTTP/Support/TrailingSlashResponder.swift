package import Hummingbird

/// Treats `/path/` as `/path` (clients such as some Stream Load SDKs add the slash); Hummingbird's
/// router matches paths exactly.
package struct TrailingSlashResponder<Inner: HTTPResponder>: HTTPResponder {
    package typealias Context = Inner.Context
    let inner: Inner

    package init(_ inner: Inner) { self.inner = inner }

    package func respond(to request: Request, context: Context) async throws -> Response {
        let full = request.head.path ?? ""
        let path = full.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard path.count > 1, path.hasSuffix("/") else { return try await inner.respond(to: request, context: context) }
        var head = request.head
        head.path = String(path.dropLast()) + full.dropFirst(path.count)
        return try await inner.respond(to: Request(head: head, body: request.body), context: context)
    }
}
