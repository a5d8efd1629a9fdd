import SluiceSQL
import Testing

/// Secrets in statements no parser understood are masked by pattern before a log sees them
/// (spec formats-security-files B.3, B.7 scenario 12).
@Suite struct StatementRedactorTests {
    @Test func secretPropertiesAndPasswordsBecomeStars() {
        let sql = #"""
            CREATE ROUTINE LOAD db.j ON t PROPERTIES ("format"="json") FROM KAFKA (
              "property.sasl.password"="x", 'property.ssl.key.password' = 'k\'ey',
              "confluent.schema.registry.url" = "https://u:p@r:8081", "property.sasl.username" = "alice",
              "aws.s3.secret_key"="s3", "property.sasl.jaas.config"="org.Login required password=\"j\"" SYNTAX ERROR
            """#
        let redacted = StatementRedactor.redact(sql)
        #expect(redacted.contains(#""property.sasl.password" = "***""#), "\(redacted)")
        #expect(redacted.contains(#""property.ssl.key.password" = "***""#), "\(redacted)")
        #expect(redacted.contains(#""confluent.schema.registry.url" = "***""#), "\(redacted)")
        #expect(redacted.contains(#""aws.s3.secret_key" = "***""#), "\(redacted)")
        #expect(redacted.contains(#""property.sasl.jaas.config" = "***""#), "\(redacted)")
        #expect(redacted.contains(#""property.sasl.username" = "alice""#))
        #expect(redacted.contains(#""format"="json""#))
        for secret in ["u:p@", "k\\'ey", "\"x\"", "s3\"", "password=\\\"j"] {
            #expect(!redacted.contains(secret), "\(secret) in \(redacted)")
        }
        let message = "Getting syntax error near 'x', in \"https://u:p@r:8081\""
        #expect(StatementRedactor.redact(message, secretsOf: sql) == "Getting syntax error near '***', in \"***\"")
    }

    @Test func passwordsOfAccessStatements() {
        #expect(
            StatementRedactor.redact("CREATE USER 'bob' IDENTIFIED BY 'hunter2' oops")
                == "CREATE USER 'bob' IDENTIFIED BY '***' oops")
        #expect(StatementRedactor.redact("SET PASSWORD = PASSWORD('pw') x") == "SET PASSWORD = PASSWORD('***') x")
        #expect(StatementRedactor.redact("SET PASSWORD FOR bob = 'pw2' x") == "SET PASSWORD FOR bob = '***' x")
        #expect(StatementRedactor.redact("SELECT 'password' = 'x'") == "SELECT \"password\" = \"***\"")
    }
}
