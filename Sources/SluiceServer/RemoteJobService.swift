import Foundation
import Logging
import ServiceLifecycle
import SluiceIO
import SluiceKafka
import SluiceRoutineLoad
import SluiceSink

/// Remote-sink mode (docs/scale-out.md): runs every job of `routine_load.jobs` as a member of
/// its consumer group that writes into the configured sink, and on SIGTERM leaves the groups —
/// each job commits its batch in flight within the revoke deadline first.
struct RemoteJobService: Service {
    let manager: RoutineLoadManager
    let declaredJobs: [String]
    let sink: SinkSettings
    let settings: RemoteJobSettings
    let logger: Logger

    func run() async throws {
        let client = HTTPTransactionSink(settings: sink)
        var jobs = [RemoteJob]()
        for statement in declaredJobs {
            guard let definition = definition(statement) else { continue }
            let job = RemoteJob(
                definition: definition, sink: client, factory: KafkaGroupSourceFactory(), settings: settings,
                logger: logger)
            manager.attach(job)
            job.start()
            jobs.append(job)
            logger.info(
                "remote-sink job started",
                metadata: [
                    "job": "\(definition.database).\(definition.name)", "sink": "\(sink.description)",
                    "group": "\(job.groupID)",
                ])
        }
        try? await gracefulShutdown()
        logger.info("leaving the consumer groups of remote-sink jobs")
        let stopping = jobs
        try await BlockingIO.run { for job in stopping { job.stop() } }
    }

    /// The job a `routine_load.jobs` entry declares (the database is the sink's), or nil
    /// (logged) when it cannot run.
    private func definition(_ sql: String) -> JobDefinition? {
        do {
            return try manager.remoteDefinition(try DeclaredJob.parse(sql))
        } catch {
            logger.error("cannot start remote-sink job", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
