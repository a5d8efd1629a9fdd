import Foundation

/// Statement text as logs may show it (spec formats-security-files B.3, StarRocks'
/// `SqlCredentialRedactor`): the values of secret properties (`"property.sasl.password" = "…"`,
/// `"confluent.schema.registry.url"`, `"aws.s3.secret_key"`, any key naming a password, secret,
/// token or JAAS config) and passwords after `IDENTIFIED BY` / `PASSWORD(…)` become `***`. Used for
/// statements that fail to parse, whose secrets no parser has located.
package enum StatementRedactor {
    package static let mask = "***"

    /// `"key" = "value"` / `'key'='value'` pairs (values may hold escaped quotes).
    private static let property = try! NSRegularExpression(
        pattern: #"(["'])([^"']+)\1\s*=\s*(["'])((?:\\.|(?!\3)[^\\])*)\3"#)
    private static let identified = try! NSRegularExpression(
        pattern:
            #"(?i)(IDENTIFIED\s+(?:WITH\s+\S+\s+)?(?:BY|AS)\s+(?:PASSWORD\s+)?|PASSWORD\s*\(\s*|SET\s+PASSWORD\s+(?:FOR\s+\S+\s+)?=\s*)(["'])((?:\\.|(?!\2)[^\\])*)\2"#
    )

    package static func isSecretKey(_ key: String) -> Bool {
        let key = key.lowercased()
        return key.contains("password") || key.contains("secret") || key.contains("token") || key.contains("jaas")
            || key == "confluent.schema.registry.url" || key.hasSuffix("access_key")
    }

    /// The secret values `sql` carries (to mask them wherever else they appear, e.g. in an error
    /// message quoting the statement).
    package static func secrets(in sql: String) -> [String] {
        let range = NSRange(sql.startIndex..., in: sql)
        var found = [String]()
        for match in property.matches(in: sql, range: range) {
            guard let key = Range(match.range(at: 2), in: sql), isSecretKey(String(sql[key])),
                let value = Range(match.range(at: 4), in: sql), !sql[value].isEmpty
            else { continue }
            found.append(String(sql[value]))
        }
        for match in identified.matches(in: sql, range: range) {
            if let value = Range(match.range(at: 3), in: sql), !sql[value].isEmpty { found.append(String(sql[value])) }
        }
        return found
    }

    /// `message` with every secret value of `statement` masked where it stands as a whole word.
    package static func redact(_ message: String, secretsOf statement: String) -> String {
        secrets(in: statement).sorted { $0.count > $1.count }.reduce(message) { text, secret in
            let pattern = "(?<![A-Za-z0-9])" + NSRegularExpression.escapedPattern(for: secret) + "(?![A-Za-z0-9])"
            guard let expression = try? NSRegularExpression(pattern: pattern) else { return text }
            return expression.stringByReplacingMatches(
                in: text, range: NSRange(text.startIndex..., in: text),
                withTemplate: NSRegularExpression.escapedTemplate(for: mask))
        }
    }

    package static func redact(_ sql: String) -> String {
        var text = sql
        let ns = { NSRange(text.startIndex..., in: text) }
        for match in property.matches(in: text, range: ns()).reversed() {
            guard let keyRange = Range(match.range(at: 2), in: text), isSecretKey(String(text[keyRange])),
                let whole = Range(match.range, in: text)
            else { continue }
            text.replaceSubrange(whole, with: "\"\(text[keyRange])\" = \"\(mask)\"")
        }
        for match in identified.matches(in: text, range: ns()).reversed() {
            guard let value = Range(match.range(at: 3), in: text) else { continue }
            text.replaceSubrange(value, with: mask)
        }
        return text
    }
}
