/// Which `property.*` settings of a job are secrets, and how each surface shows them (spec
/// formats-security-files B.3). StarRocks masks keys containing `password` or `secret`; Sluice
/// also masks `sasl.jaas.config` (it embeds a password) and tokens.
package enum SecretSettings {
    /// SHOW ROUTINE LOAD's `CustomProperties` and error messages: StarRocks' six asterisks.
    package static let shownMask = "******"
    /// SHOW CREATE ROUTINE LOAD and statement logs: StarRocks' PrintableMap/redactor form.
    package static let createMask = "***"

    package static func isSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        return key.contains("password") || key.contains("secret") || key.contains("token") || key.contains("jaas")
    }

    /// `value`, or the mask when `key` is a secret.
    package static func shown(_ key: String, _ value: String) -> String { isSecret(key) ? shownMask : value }
}

extension SourceSettingError {
    /// The value as messages may show it.
    package static func shown(_ key: String, _ value: String) -> String { SecretSettings.shown(key, value) }
}
