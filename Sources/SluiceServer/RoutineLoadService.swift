import Logging
import ServiceLifecycle
import SluiceIO
import SluiceRoutineLoad
import SluiceSQL

/// Runs the Routine Load daemon inside the service group: starts every journaled job, creates
/// the jobs declared in the configuration, and on SIGTERM stops fetching and lets in-flight
/// batches finish before the process exits.
struct RoutineLoadService: Service {
    let manager: RoutineLoadManager
    let declaredJobs: [String]
    let logger: Logger

    func run() async throws {
        let manager = self.manager
        try await BlockingIO.run { manager.start() }
        for statement in declaredJobs {
            await declare(statement)
        }
        try? await gracefulShutdown()
        logger.info("stopping routine load jobs")
        try await BlockingIO.run { manager.shutdown(timeout: .seconds(8)) }
    }

    /// Creates a declared job unless one of that name is active (restarts keep the job).
    private func declare(_ sql: String) async {
        do {
            guard
                case .routineLoad(.create(let job, let table, let clauses, let properties, let source)) =
                    try SQLParser.parse(sql)
            else {
                logger.error(
                    "routine_load.jobs entries must be CREATE ROUTINE LOAD statements", metadata: ["sql": "\(sql)"])
                return
            }
            guard let database = job.database else {
                logger.error("routine_load.jobs: qualify the job as db.job", metadata: ["job": "\(job.name)"])
                return
            }
            if manager.isActive(database: database, name: job.name) { return }
            // Not checked against the brokers: the daemon starts while Kafka is down (the job
            // then reports its silent source); settings librdkafka refuses still fail here.
            let create = CreateRoutineLoad(
                database: database, name: job.name, table: table, clauses: clauses, properties: properties,
                source: source, checkSource: false)
            let manager = self.manager
            try await BlockingIO.run { try manager.create(create) }
            logger.info("declared routine load job created", metadata: ["job": "\(database).\(job.name)"])
        } catch {
            logger.error("cannot create declared routine load job", metadata: ["error": "\(error)"])
        }
    }
}
