import Crypto
import Foundation
package import SluiceStorage
import Synchronization

/// Who may log in, checked against the journaled users on every login (a dropped user or a
/// changed password takes effect at once). HTTP basic auth sends the password with every
/// request, and checking it is deliberately slow (PBKDF2), so a verified password is remembered
/// — as a keyed hash, never in clear — for as long as the stored password stays the same.
package final class Logins: Sendable {
    /// A logged-in user: the identity privileges are checked for, and the roles active at login.
    package struct Login: Sendable, Hashable {
        package var identity: UserIdentity
        package var roles: Set<String>
    }

    private struct Verified: Hashable {
        var identity: UserIdentity
        var passwordMAC: [UInt8]
    }

    private let access: @Sendable () -> AccessControl
    /// Verified passwords: their keyed hash → the stored password they matched.
    private let verified = Mutex<[Verified: StoredPassword]>([:])
    /// Keys the remembered hashes; new for each process.
    private let macKey = SymmetricKey(size: .bits256)
    private static let cacheLimit = 10_000

    package init(access: @escaping @Sendable () -> AccessControl) { self.access = access }

    package convenience init(engine: StorageEngine) { self.init(access: { engine.access }) }

    /// HTTP basic auth: the login for `user` / `password` from `clientHost`, nil when refused
    /// (unknown user and wrong password alike). May take the slow hash: call it off the event
    /// loops.
    package func verify(user: String, password: String, clientHost: String) -> Login? {
        if let known = verifyWithoutHashing(user: user, password: password, clientHost: clientHost) { return known }
        let access = self.access()
        guard let identity = access.identity(named: user, clientHost: clientHost),
            let stored = access.password(of: identity) ?? nil,
            PasswordHashing.verify(password, against: stored)
        else { return nil }
        let key = cacheKey(identity, password)
        verified.withLock {
            if $0.count >= Self.cacheLimit { $0.removeAll() }
            $0[key] = stored
        }
        return login(identity, access)
    }

    /// What ``verify(user:password:clientHost:)`` answers when it needs no slow hash: a login, a
    /// sure refusal (`.some(nil)`), or nil when only the slow hash can tell.
    package func verifyWithoutHashing(user: String, password: String, clientHost: String) -> Login?? {
        let access = self.access()
        guard let identity = access.identity(named: user, clientHost: clientHost),
            let stored = access.password(of: identity)
        else { return .some(nil) }
        guard let stored else { return password.isEmpty ? login(identity, access) : .some(nil) }
        if stored.hash.isEmpty {
            // Given as a native hash (IDENTIFIED BY PASSWORD '*…'): that is all there is to check.
            return Self.equal(PasswordHashing.native(password), stored.native) ? login(identity, access) : .some(nil)
        }
        if verified.withLock({ $0[cacheKey(identity, password)] }) == stored { return login(identity, access) }
        return nil
    }

    private func cacheKey(_ identity: UserIdentity, _ password: String) -> Verified {
        Verified(
            identity: identity,
            passwordMAC: Array(HMAC<SHA256>.authenticationCode(for: Array(password.utf8), using: macKey)))
    }

    /// MySQL native authentication: `SHA1(SHA1(password))` of the identity a login as `user`
    /// from `clientHost` takes (empty: no password); nil for no such user.
    package func nativeCredential(user: String, clientHost: String) -> [UInt8]? {
        let access = self.access()
        guard let identity = access.identity(named: user, clientHost: clientHost),
            let stored = access.password(of: identity)
        else { return nil }
        return stored?.native ?? []
    }

    /// The login of `user` from `clientHost` once its password was checked (MySQL); nil when the
    /// user is gone.
    package func login(user: String, clientHost: String) -> Login? {
        let access = self.access()
        return access.identity(named: user, clientHost: clientHost).map { login($0, access) }
    }

    /// Who a request without credentials may act as where StarRocks asks for none (the error
    /// log behind `ErrorURL`): root while root has an empty password — anyone can log in as
    /// root then anyway — and nobody once it has one.
    package func anonymousLogin() -> Login? {
        let access = self.access()
        let root = UserIdentity("root")
        guard access.password(of: root) == .some(nil) else { return nil }
        return login(root, access)
    }

    private func login(_ identity: UserIdentity, _ access: AccessControl) -> Login {
        Login(identity: identity, roles: access.loginRoles(identity, activateAll: false))
    }

    private static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
