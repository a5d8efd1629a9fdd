import Logging
import ServiceLifecycle
import SluiceIO
import SluiceRoutineLoad

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
            let create = try DeclaredJob.parse(sql)
            if manager.isActive(database: create.database, name: create.name) { return }
            let manager = self.manager
            try await BlockingIO.run { try manager.create(create) }
            logger.info("declared routine load job created", metadata: ["job": "\(create.database).\(create.name)"])
        } catch {
            logger.error("cannot create declared routine load job", metadata: ["error": "\(error)"])
        }
    }
}
