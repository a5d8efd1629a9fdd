import SluiceStorage

extension RoutineLoadManager {
    /// nil while `owner` may INSERT into the job's table — with every role granted to them, as a
    /// job has no session to `SET ROLE` in — else StarRocks' denial text (the job pauses with it).
    func denial(for owner: UserIdentity, _ definition: JobDefinition) -> String? {
        let access = engine.access
        return access.denial(
            owner, activeRoles: access.loginRoles(owner, activateAll: true), .insert,
            on: .table(database: definition.database, name: definition.table))
    }
}
