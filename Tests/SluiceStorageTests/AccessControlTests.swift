import Foundation
import SluiceStorage
import SluiceTesting
import Testing

/// StarRocks' privilege model as a value (issue 16 groundwork): grants on objects and their
/// wider forms, roles active or not, built-in roles, StarRocks' denial text, Codable round trip.
@Suite struct AccessControlTests {
    let jack = UserIdentity("jack")

    @Test func rootHoldsEverythingThroughItsDefaultRole() {
        let access = AccessControl()
        let root = UserIdentity("root")
        let roles = access.loginRoles(root, activateAll: false)
        #expect(roles == ["root"])
        #expect(access.allows(root, activeRoles: roles, .insert, on: .table(database: "db", name: "t")))
        #expect(access.allows(root, activeRoles: roles, .createDatabase, on: .catalog))
        #expect(access.allows(root, activeRoles: roles, .operate, on: .system))
        #expect(!access.allows(root, activeRoles: [], .insert, on: .table(database: "db", name: "t")))
    }

    @Test func tableGrantsAndWiderObjects() throws {
        var access = AccessControl()
        try access.createUser(jack)
        #expect(throws: AccessControl.Failure.userExists(jack)) { try access.createUser(jack) }
        try access.createUser(jack, ifNotExists: true)
        try access.grant(Grant([.select], on: .table(database: "demo", name: "t")), to: jack)
        #expect(access.allows(jack, activeRoles: [], .select, on: .table(database: "demo", name: "t")))
        #expect(!access.allows(jack, activeRoles: [], .insert, on: .table(database: "demo", name: "t")))
        #expect(!access.allows(jack, activeRoles: [], .select, on: .table(database: "demo", name: "u")))
        try access.grant(Grant([.insert], on: .allTables(inDatabase: "demo")), to: jack)
        #expect(access.allows(jack, activeRoles: [], .insert, on: .table(database: "demo", name: "u")))
        #expect(!access.allows(jack, activeRoles: [], .insert, on: .table(database: "other", name: "u")))
        try access.revoke([.insert], on: .allTables(inDatabase: "demo"), from: jack)
        #expect(!access.allows(jack, activeRoles: [], .insert, on: .table(database: "demo", name: "u")))
        #expect(throws: AccessControl.Failure.notApplicable(.createTable, .table(database: "demo", name: "t"))) {
            try access.grant(Grant([.createTable], on: .table(database: "demo", name: "t")), to: jack)
        }
    }

    /// Spec scenario 49 at the model level: a granted role counts only while active.
    @Test func rolesCountOnlyWhileActive() throws {
        var access = AccessControl()
        try access.createUser(jack)
        try access.createRole("loader")
        try access.grant(Grant([.insert], on: .table(database: "demo", name: "t")), toRole: "loader")
        try access.grantRole("loader", to: jack)
        let orders = PrivilegeObject.table(database: "demo", name: "t")
        #expect(
            access.denial(jack, activeRoles: access.loginRoles(jack, activateAll: false), .insert, on: orders)
                == "Access denied; you need (at least one of) the INSERT privilege(s) on TABLE t for this operation. Please ask the admin to grant permission(s) or try activating existing roles using <set [default] role>. Current role(s): NONE. Inactivated role(s): loader."
        )
        #expect(access.denial(jack, activeRoles: ["loader"], .insert, on: orders) == nil)
        try access.setDefaultRoles(["loader"], for: jack)
        #expect(access.loginRoles(jack, activateAll: false) == ["loader"])
        #expect(access.allows(jack, activeRoles: access.loginRoles(jack, activateAll: false), .insert, on: orders))
        #expect(throws: AccessControl.Failure.builtinRole("root")) { try access.dropRole("root") }
        try access.dropRole("loader")
        #expect(!access.allows(jack, activeRoles: ["loader"], .insert, on: orders))
        try access.dropUser(jack)
        #expect(!access.allows(jack, activeRoles: [], .select, on: orders))
        #expect(throws: AccessControl.Failure.noSuchUser(jack)) { try access.dropUser(jack) }
    }

    @Test func theStateRoundTripsThroughJSON() throws {
        var access = AccessControl()
        try access.createUser(UserIdentity("jack", host: "10.0.0.1"))
        try access.grant(
            Grant([.select, .insert], on: .allTablesInAllDatabases), to: UserIdentity("jack", host: "10.0.0.1"))
        let decoded = try JSONDecoder().decode(AccessControl.self, from: JSONEncoder().encode(access))
        #expect(decoded == access)
        #expect(UserIdentity("jack", host: "10.0.0.1").description == "'jack'@'10.0.0.1'")
        #expect(UserIdentity("jack").matches(clientHost: "1.2.3.4"))
    }
}

/// Users and grants are journaled: they survive a crash and a checkpoint (issue 16).
@Suite struct AccessJournalTests {
    @Test(arguments: [10_000, 1])
    func usersAndGrantsSurviveCrashesAndCheckpoints(checkpointInterval: Int) throws {
        let fs = SimulatedFileSystem(seed: 7)
        var options = StorageOptions()
        options.checkpointInterval = checkpointInterval
        var engine = try StorageEngine(path: "/data", fileSystem: fs, options: options)
        let jack = UserIdentity("jack")
        try engine.changeAccess { access throws(AccessControl.Failure) in
            try access.createUser(jack)
            try access.grant(Grant([.insert], on: .table(database: "demo", name: "t")), to: jack)
        }
        // A failing change writes nothing.
        #expect(throws: AccessControl.Failure.self) {
            try engine.changeAccess { access throws(AccessControl.Failure) in
                try access.createRole("loader")
                try access.createUser(jack)
            }
        }
        fs.crash()
        engine = try StorageEngine(path: "/data", fileSystem: fs, options: options)
        let access = engine.access
        #expect(access.allows(jack, activeRoles: [], .insert, on: .table(database: "demo", name: "t")))
        #expect(access.roles["loader"] == nil)
        #expect(access.users[UserIdentity("root")]?.roles == ["root"])
    }
}
