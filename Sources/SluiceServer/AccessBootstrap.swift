import Logging
import SluiceSQL
import SluiceStorage

/// Root's first password and the warning for an open root: what start-up does about access.
enum AccessBootstrap {
    /// Sets root's password from `auth.root_password` / `SLUICE_ROOT_PASSWORD` while root has none
    /// (the first start; afterwards SET PASSWORD owns it), then warns when root can log in without
    /// a password from beyond this machine.
    static func apply(rootPassword: String?, engine: StorageEngine, host: String, logger: Logger) throws {
        let root = UserIdentity("root")
        let current = engine.access.password(of: root) ?? nil
        if let rootPassword, !rootPassword.isEmpty {
            if current == nil {
                let stored = PasswordHashing.make(rootPassword)
                try engine.changeAccess { access in
                    if access.password(of: root) == .some(nil) { try access.setPassword(stored, for: root) }
                }
                logger.notice("root password set from the configuration (auth.root_password / SLUICE_ROOT_PASSWORD)")
            } else if let current, !current.hash.isEmpty, !PasswordHashing.verify(rootPassword, against: current) {
                logger.warning(
                    """
                    auth.root_password / SLUICE_ROOT_PASSWORD ignored: root's password was set before and is kept \
                    in the metadata; change it with SET PASSWORD FOR 'root' = PASSWORD('…')
                    """)
            }
        }
        if engine.access.password(of: root) == .some(nil), !isLoopback(host) {
            logger.warning(
                """
                root has an empty password and the server listens on \(host): anyone who reaches it is root. \
                Set one with SLUICE_ROOT_PASSWORD (or auth.root_password) or SET PASSWORD.
                """)
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
