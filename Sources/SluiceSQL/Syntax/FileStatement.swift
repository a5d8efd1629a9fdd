import SluiceExpr

/// CREATE / DROP / SHOW FILE (StarRocks' small files: certificates and keys Routine Load jobs
/// name as `FILE:<name>`; spec formats-security-files B.2).
package enum FileStatement: Sendable {
    /// `CREATE FILE "name" [IN db] PROPERTIES ("url" = "http://…", "catalog" = "kafka" [, "md5" = "…"])`
    case create(name: String, database: String?, properties: [String: String])
    /// `DROP FILE "name" [FROM db] [PROPERTIES ("catalog" = "kafka")]`
    case drop(name: String, database: String?, properties: [String: String])
    /// `SHOW FILE [FROM db]`
    case show(database: String?)
}

enum FileStatementParser {
    /// A FILE statement at the stream's position, or nil (nothing consumed).
    static func parse(_ s: inout TokenStream) throws(ExprError) -> Statement? {
        let verb = s.current
        guard verb.isKeyword("CREATE") || verb.isKeyword("DROP") || verb.isKeyword("SHOW"),
            s.peek(1).isKeyword("FILE") || (verb.isKeyword("SHOW") && s.peek(1).isKeyword("FILES"))
        else { return nil }
        s.advance()
        s.advance()
        if verb.isKeyword("SHOW") {
            var database: String?
            if s.accept("FROM") || s.accept("IN") { database = try s.identifier("database name") }
            return .file(.show(database: database))
        }
        let name = try RoutineLoadParser.stringOrIdentifier(&s, "file name")
        var database: String?
        if s.accept(verb.isKeyword("CREATE") ? "IN" : "FROM") { database = try s.identifier("database name") }
        let properties = s.accept("PROPERTIES") ? try RoutineLoadParser.keyValues(&s) : [:]
        return .file(
            verb.isKeyword("CREATE")
                ? .create(name: name, database: database, properties: properties)
                : .drop(name: name, database: database, properties: properties))
    }
}
