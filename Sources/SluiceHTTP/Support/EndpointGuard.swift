package import Hummingbird
import SluiceSQL

/// Who may read the operator endpoints: those in `auth.open_endpoints` (by default `/livez`,
/// `/readyz`, `/metrics`) answer anyone; the rest (the status page and its JSON, a health path
/// taken off the list) need a login — except while root has no password, when anyone is root
/// anyway (as for error logs).
package struct EndpointGuard: Sendable {
    package let authenticator: Authenticator
    package let openPaths: Set<String>

    package static let defaultOpenPaths = ["/livez", "/readyz", "/metrics"]

    package init(authenticator: Authenticator, openPaths: [String] = EndpointGuard.defaultOpenPaths) {
        self.authenticator = authenticator
        self.openPaths = Set(openPaths)
    }

    /// nil when `path` may be answered; else StarRocks' 401.
    package func refusal(_ path: String, _ request: Request, _ context: SluiceRequestContext) async -> Response? {
        if openPaths.contains(path) { return nil }
        if request.headers[.authorization] == nil, authenticator.logins.anonymousLogin() != nil { return nil }
        if case .refused(let response) = await authenticator.login(request, context) { return response }
        return nil
    }
}
