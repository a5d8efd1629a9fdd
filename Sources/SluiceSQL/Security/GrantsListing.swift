import SluiceStorage

/// SHOW GRANTS as StarRocks prints it: one row per statement that would recreate the grants —
/// the roles first (`GRANT 'loader' TO 'jack'@'%'`, catalog NULL), then one per object
/// (`GRANT INSERT, SELECT ON TABLE demo.t TO USER 'jack'@'%'`).
struct GrantsListing {
    let access: AccessControl

    func rows(for grantee: Grantee) throws -> ResultSet {
        switch grantee {
        case .user(let user):
            guard let record = access.users[user] else {
                throw SQLError(
                    .userOperationFailed, "Operation SHOW GRANTS failed for \(user): the user does not exist")
            }
            var rows = [[String?]]()
            if !record.roles.isEmpty {
                let roles = record.roles.sorted().map { "'\($0)'" }.joined(separator: ", ")
                rows.append([user.description, nil, "GRANT \(roles) TO \(user)"])
            }
            rows += record.grants.map { [user.description, Self.catalog($0), Self.statement($0, to: "USER \(user)")] }
            return ResultSet.strings(["UserIdentity", "Catalog", "Grants"], rows)
        case .role(let name):
            guard let role = access.roles[name] else {
                throw SQLError(.userOperationFailed, "Role \(name) doesn't exist")
            }
            var rows = [[String?]]()
            if !role.roles.isEmpty {
                let roles = role.roles.sorted().map { "'\($0)'" }.joined(separator: ", ")
                rows.append([name, nil, "GRANT \(roles) TO ROLE '\(name)'"])
            }
            rows += role.grants.map { [name, Self.catalog($0), Self.statement($0, to: "ROLE '\(name)'")] }
            return ResultSet.strings(["RoleName", "Catalog", "Grants"], rows)
        }
    }

    private static func catalog(_ grant: Grant) -> String? {
        grant.object == .system ? nil : "default_catalog"
    }

    private static func statement(_ grant: Grant, to grantee: String) -> String {
        let privileges = grant.privileges.sorted().map(\.rawValue).joined(separator: ", ")
        return "GRANT \(privileges) ON \(grant.object) TO \(grantee)"
            + (grant.withGrantOption ? " WITH GRANT OPTION" : "")
    }
}
