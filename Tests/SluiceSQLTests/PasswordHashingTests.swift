import SluiceSQL
import SluiceStorage
import Testing

/// Stored passwords: salted PBKDF2 for HTTP, MySQL's stage-2 hash for the wire (issue 16).
@Suite struct PasswordHashingTests {
    @Test func storedPasswordsCheckWithoutRevealingThePassword() {
        let stored = PasswordHashing.make("s3cret", rounds: 1000)
        #expect(PasswordHashing.verify("s3cret", against: stored))
        #expect(!PasswordHashing.verify("s3cret ", against: stored))
        #expect(!PasswordHashing.verify("", against: stored))
        #expect(stored.salt.count == 16 && stored.hash.count == 32)
        // Same password, new salt, different hash.
        #expect(PasswordHashing.make("s3cret", rounds: 1000).hash != stored.hash)
        // MySQL's SHA1(SHA1("secret")) as the wire protocol's mysql_native_password stores it.
        let native = PasswordHashing.native("secret").map { String($0, radix: 16) }.map {
            $0.count == 1 ? "0" + $0 : $0
        }.joined()
        #expect(native == "14e65567abdb5135d0cfd9a70b3032c179a49ee7")
        #expect(PasswordHashing.native("").isEmpty)
        #expect(!stored.hash.isEmpty && !String(decoding: stored.hash, as: UTF8.self).contains("s3cret"))
    }
}
