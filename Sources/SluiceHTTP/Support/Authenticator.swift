import Foundation
package import HTTPTypes
package import Logging

/// HTTP Basic authentication against configured users (StarRocks default: `root` with an empty
/// password).
package struct Authenticator: Sendable {
    package enum Outcome: Sendable, Equatable {
        case authenticated(user: String)
        /// No or unparseable `Authorization` header.
        case missing
        /// Unknown user or wrong password.
        case denied(user: String)
    }

    package var users: [String: String]
    /// Refused logins are logged here (warning); nil logs nothing.
    package var logger: Logger?

    package init(users: [String: String] = ["root": ""]) { self.users = users }

    package func authenticate(_ fields: HTTPFields) -> Outcome {
        guard let header = fields[.authorization] else { return .missing }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let data = Data(base64Encoded: String(parts[1])),
            let decoded = String(data: data, encoding: .utf8),
            let colon = decoded.firstIndex(of: ":")
        else { return .missing }
        let user = String(decoded[..<colon])
        let password = String(decoded[decoded.index(after: colon)...])
        guard let expected = users[user], expected == password else {
            logger?.warning("HTTP login refused", metadata: ["user": "\(user)"])
            return .denied(user: user)
        }
        return .authenticated(user: user)
    }
}
