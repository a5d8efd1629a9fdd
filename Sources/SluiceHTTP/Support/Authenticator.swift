import Foundation
package import HTTPTypes
package import Logging
import SluiceIO
package import SluiceSQL

/// HTTP Basic authentication against the journaled users (StarRocks' default: `root` with an
/// empty password until one is set).
package struct Authenticator: Sendable {
    package enum Outcome: Sendable, Equatable {
        case authenticated(Logins.Login)
        /// No or unparseable `Authorization` header.
        case missing
        /// Unknown user or wrong password.
        case denied(user: String)
    }

    package let logins: Logins
    /// Refused logins are logged here (warning); nil logs nothing.
    package var logger: Logger?

    package init(logins: Logins) { self.logins = logins }

    /// Checks the request's credentials; a password not seen before is checked against its slow
    /// hash off the event loops and the cooperative pool.
    package func authenticate(_ fields: HTTPFields, clientHost: String) async -> Outcome {
        guard let (user, password) = Self.credentials(fields) else { return .missing }
        let logins = self.logins
        // Remembered and empty passwords answer at once; only a new password hops off the loop.
        var login = logins.verifyWithoutHashing(user: user, password: password, clientHost: clientHost)
        if login == nil {
            login = .some(
                (try? await BlockingIO.run(.foreground) {
                    logins.verify(user: user, password: password, clientHost: clientHost)
                }) ?? nil)
        }
        guard case .some(.some(let accepted)) = login else {
            logger?.warning("HTTP login refused", metadata: ["user": "\(user)", "client": "\(clientHost)"])
            return .denied(user: user)
        }
        return .authenticated(accepted)
    }

    /// The outcome when it is known without the slow hash (no header, empty or remembered
    /// password); nil when only ``authenticate(_:clientHost:)`` can tell.
    package func quickCheck(_ fields: HTTPFields, clientHost: String) -> Outcome? {
        guard let (user, password) = Self.credentials(fields) else { return .missing }
        switch logins.verifyWithoutHashing(user: user, password: password, clientHost: clientHost) {
        case .some(.some(let login)): return .authenticated(login)
        case .some(.none): return .denied(user: user)
        case .none: return nil
        }
    }

    /// `user` and `password` of a `Basic` header.
    static func credentials(_ fields: HTTPFields) -> (String, String)? {
        guard let header = fields[.authorization] else { return nil }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let data = Data(base64Encoded: String(parts[1])),
            let decoded = String(data: data, encoding: .utf8),
            let colon = decoded.firstIndex(of: ":")
        else { return nil }
        return (String(decoded[..<colon]), String(decoded[decoded.index(after: colon)...]))
    }
}
