import SluiceFormat
import SluiceStorage

/// information_schema tables about the server: character sets, variables, privileges, and the
/// MySQL tables no Sluice object fills (constraints, routines, indexes) — present with their
/// columns so tools that probe them get an empty set rather than an error.
extension InformationSchema {
    static let serverTables: [SystemTable] = [
        characterSets, collations, engines, sessionVariables, globalVariables, userPrivileges,
        .empty(
            "schema_privileges",
            [
                .text("GRANTEE"), .text("TABLE_CATALOG"), .text("TABLE_SCHEMA"), .text("PRIVILEGE_TYPE"),
                .text("IS_GRANTABLE"),
            ]),
        .empty(
            "table_privileges",
            [
                .text("GRANTEE"), .text("TABLE_CATALOG"), .text("TABLE_SCHEMA"), .text("TABLE_NAME"),
                .text("PRIVILEGE_TYPE"), .text("IS_GRANTABLE"),
            ]),
    ]

    static let constraintTables: [SystemTable] = [
        .empty(
            "routines",
            [
                .text("SPECIFIC_NAME"), .text("ROUTINE_CATALOG"), .text("ROUTINE_SCHEMA"), .text("ROUTINE_NAME"),
                .text("ROUTINE_TYPE"), .text("DTD_IDENTIFIER"), .text("ROUTINE_BODY"), .text("ROUTINE_DEFINITION"),
                .text("EXTERNAL_NAME"), .text("EXTERNAL_LANGUAGE"), .text("PARAMETER_STYLE"),
                .text("IS_DETERMINISTIC"), .text("SQL_DATA_ACCESS"), .text("SQL_PATH"), .text("SECURITY_TYPE"),
                .time("CREATED"), .time("LAST_ALTERED"), .text("SQL_MODE"), .text("ROUTINE_COMMENT"),
                .text("DEFINER"), .text("CHARACTER_SET_CLIENT"), .text("COLLATION_CONNECTION"),
                .text("DATABASE_COLLATION"),
            ]),
        .empty(
            "statistics",
            [
                .text("TABLE_CATALOG"), .text("TABLE_SCHEMA"), .text("TABLE_NAME"), .number("NON_UNIQUE"),
                .text("INDEX_SCHEMA"), .text("INDEX_NAME"), .number("SEQ_IN_INDEX"), .text("COLUMN_NAME"),
                .text("COLLATION"), .number("CARDINALITY"), .number("SUB_PART"), .text("PACKED"), .text("NULLABLE"),
                .text("INDEX_TYPE"), .text("COMMENT"), .text("INDEX_COMMENT"),
            ]),
        .empty(
            "key_column_usage",
            [
                .text("CONSTRAINT_CATALOG"), .text("CONSTRAINT_SCHEMA"), .text("CONSTRAINT_NAME"),
                .text("TABLE_CATALOG"), .text("TABLE_SCHEMA"), .text("TABLE_NAME"), .text("COLUMN_NAME"),
                .number("ORDINAL_POSITION"), .number("POSITION_IN_UNIQUE_CONSTRAINT"),
                .text("REFERENCED_TABLE_SCHEMA"), .text("REFERENCED_TABLE_NAME"), .text("REFERENCED_COLUMN_NAME"),
            ]),
        .empty(
            "referential_constraints",
            [
                .text("CONSTRAINT_CATALOG"), .text("CONSTRAINT_SCHEMA"), .text("CONSTRAINT_NAME"),
                .text("UNIQUE_CONSTRAINT_CATALOG"), .text("UNIQUE_CONSTRAINT_SCHEMA"), .text("UNIQUE_CONSTRAINT_NAME"),
                .text("MATCH_OPTION"), .text("UPDATE_RULE"), .text("DELETE_RULE"), .text("TABLE_NAME"),
                .text("REFERENCED_TABLE_NAME"),
            ]),
        .empty(
            "table_constraints",
            [
                .text("CONSTRAINT_CATALOG"), .text("CONSTRAINT_SCHEMA"), .text("CONSTRAINT_NAME"),
                .text("TABLE_SCHEMA"), .text("TABLE_NAME"), .text("CONSTRAINT_TYPE"),
            ]),
        .empty(
            "check_constraints",
            [.text("CONSTRAINT_CATALOG"), .text("CONSTRAINT_SCHEMA"), .text("CONSTRAINT_NAME"), .text("CHECK_CLAUSE")]),
        .empty(
            "triggers",
            [
                .text("TRIGGER_CATALOG"), .text("TRIGGER_SCHEMA"), .text("TRIGGER_NAME"), .text("EVENT_MANIPULATION"),
                .text("EVENT_OBJECT_CATALOG"), .text("EVENT_OBJECT_SCHEMA"), .text("EVENT_OBJECT_TABLE"),
                .number("ACTION_ORDER"), .text("ACTION_CONDITION"), .text("ACTION_STATEMENT"),
                .text("ACTION_ORIENTATION"), .text("ACTION_TIMING"), .time("CREATED"), .text("SQL_MODE"),
                .text("DEFINER"),
            ]),
        .empty(
            "events",
            [
                .text("EVENT_CATALOG"), .text("EVENT_SCHEMA"), .text("EVENT_NAME"), .text("DEFINER"),
                .text("TIME_ZONE"), .text("EVENT_BODY"), .text("EVENT_DEFINITION"), .text("EVENT_TYPE"),
                .time("EXECUTE_AT"), .text("STATUS"), .time("CREATED"), .time("LAST_ALTERED"),
            ]),
    ]

    static let characterSets = SystemTable(
        "character_sets",
        [.text("CHARACTER_SET_NAME"), .text("DEFAULT_COLLATE_NAME"), .text("DESCRIPTION"), .number("MAXLEN")]
    ) { _, _ in
        ServerCharsets.charsets.map {
            [.text($0.name), .text($0.defaultCollation), .text($0.description), .number($0.maxLength)]
        }
    }

    static let collations = SystemTable(
        "collations",
        [
            .text("COLLATION_NAME"), .text("CHARACTER_SET_NAME"), .number("ID"), .text("IS_DEFAULT"),
            .text("IS_COMPILED"), .number("SORTLEN"),
        ]
    ) { _, _ in
        ServerCharsets.collations.map {
            [.text($0.name), .text($0.charset), .number($0.id), .text("Yes"), .text("Yes"), .number(1)]
        }
    }

    static let engines = SystemTable(
        "engines",
        [
            .text("ENGINE"), .text("SUPPORT"), .text("COMMENT"), .text("TRANSACTIONS"), .text("XA"),
            .text("SAVEPOINTS"),
        ]
    ) { _, _ in
        ServerCharsets.engines.map {
            [.text($0.name), .text($0.support), .text($0.comment), .text("YES"), .text("NO"), .text("NO")]
        }
    }

    static let sessionVariables = SystemTable(
        "session_variables", [.text("VARIABLE_NAME"), .text("VARIABLE_VALUE")]
    ) { catalog, session in
        SessionVariables(globals: catalog.globals).all(global: false, session: session).map {
            [.text($0.0), .text($0.1.text)]
        }
    }

    static let globalVariables = SystemTable(
        "global_variables", [.text("VARIABLE_NAME"), .text("VARIABLE_VALUE")]
    ) { catalog, session in
        SessionVariables(globals: catalog.globals).all(global: true, session: session).map {
            [.text($0.0), .text($0.1.text)]
        }
    }

    /// The session user's privileges on the catalog and the system (table and database grants
    /// are in SHOW GRANTS): what its own grants and active roles give.
    static let userPrivileges = SystemTable(
        "user_privileges",
        [.text("GRANTEE"), .text("TABLE_CATALOG"), .text("PRIVILEGE_TYPE"), .text("IS_GRANTABLE")]
    ) { catalog, session in
        let authorizer = catalog.authorizer
        let grants = authorizer.access.effectiveGrants(authorizer.identity, activeRoles: authorizer.activeRoles)
        var privileges = Set<Privilege>()
        for grant in grants where grant.object == .catalog || grant.object == .system {
            privileges.formUnion(grant.privileges)
        }
        return privileges.sorted().map {
            [.text(authorizer.identity.description), .text(catalogName), .text($0.rawValue), .text("NO")]
        }
    }
}
