import Crypto
import Foundation
package import SluiceStorage
import _CryptoExtras

/// Makes and checks ``StoredPassword``s: PBKDF2-SHA256 with a random 16-byte salt for HTTP basic
/// auth, and MySQL's native `SHA1(SHA1(password))` for the wire protocol's scramble check.
package enum PasswordHashing {
    /// PBKDF2 rounds for new passwords (OWASP's floor for PBKDF2-SHA256 is 600,000; checks are
    /// cached per connection and per credential by the callers, so logins stay fast).
    package static let rounds = 600_000

    package static func make(_ password: String, rounds: Int = rounds) -> StoredPassword {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return StoredPassword(
            salt: salt, rounds: rounds, hash: derive(password, salt: salt, rounds: rounds), native: native(password))
    }

    /// Whether `password` is the stored one (constant-time comparison of the derived hash).
    package static func verify(_ password: String, against stored: StoredPassword) -> Bool {
        let derived = derive(password, salt: stored.salt, rounds: stored.rounds)
        guard derived.count == stored.hash.count else { return false }
        return zip(derived, stored.hash).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// `SHA1(SHA1(password))`, empty for the empty password (MySQL's stage-2 hash).
    package static func native(_ password: String) -> [UInt8] {
        guard !password.isEmpty else { return [] }
        return Array(Insecure.SHA1.hash(data: Array(Insecure.SHA1.hash(data: Array(password.utf8)))))
    }

    private static func derive(_ password: String, salt: [UInt8], rounds: Int) -> [UInt8] {
        let key = try? KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32,
            unsafeUncheckedRounds: rounds)
        return key.map { $0.withUnsafeBytes { Array($0) } } ?? []
    }
}
