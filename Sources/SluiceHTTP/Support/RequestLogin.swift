import HTTPTypes
package import Hummingbird
package import SluiceSQL
import SluiceStorage

/// A request's login, or the 401 that refuses it.
package enum RequestLogin {
    case login(Logins.Login)
    case refused(Response)
}

extension SluiceRequestContext {
    /// The client's address without port (the host of `'user'@'host'`).
    package var clientHost: String { channel.remoteAddress?.ipAddress ?? "127.0.0.1" }
}

extension Authenticator {
    /// The request's login, or StarRocks' 401 (`Need auth information.` / `Access denied for user`).
    package func login(_ request: Request, _ context: SluiceRequestContext) async -> RequestLogin {
        let outcome = await authenticate(request.headers, clientHost: context.clientHost)
        if case .authenticated(let login) = outcome { return .login(login) }
        return .refused(RestResult.unauthorized(outcome) ?? RestResult.failed("Access denied", status: .unauthorized))
    }
}

extension Logins.Login {
    /// nil when this login meets `requirement` on `object`; else StarRocks' 401 whose message
    /// starts `Access denied` (what a load without INSERT gets from the FE).
    func denial(_ requirement: AccessRequirement, on object: PrivilegeObject, _ access: AccessControl) -> Response? {
        guard let text = access.denial(identity, activeRoles: roles, requirement, on: object) else { return nil }
        return RestResult.failed(text, status: .unauthorized, authenticate: true)
    }

    /// nil when this login holds `privilege` on `database`.`table`; else the 401.
    func denial(_ privilege: Privilege, database: String, table: String, engine: StorageEngine) -> Response? {
        denial(.privilege(privilege), on: .table(database: database, name: table), engine.access)
    }
}
