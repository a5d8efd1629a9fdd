import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
package import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import SluiceExpr
import SluiceFiles
import SluiceHTTP
import SluiceIO
import SluiceKafka
import SluiceLoad
import SluiceMySQL
import SluiceRoutineLoad
import SluiceSQL
import SluiceSink
import SluiceStorage
import SluiceTxn
import UnixSignals

/// The composition root: opens the data directory and runs the HTTP server and background services
/// until SIGTERM/SIGINT, then shuts down gracefully.
package enum SluiceServer {
    /// Runs the server.
    /// - Parameter onReady: called with the bound port once the server listens.
    package static func run(
        _ configuration: SluiceConfiguration, logger: Logger, onReady: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        MemoryTuning.apply()
        let descriptors = FileDescriptorLimit.raise()
        if descriptors < configuration.maxHTTPConnections + configuration.maxConnections {
            logger.warning(
                "open-file limit \(descriptors) is below server.max_http_connections + server.qe_max_connection; raise it (ulimit -n) or lower them"
            )
        }
        if let faults = ProcessInfo.processInfo.environment["SLUICE_FAULTS"], !faults.isEmpty {
            try FaultPoints.configure(faults)
            logger.warning("fault points armed (SLUICE_FAULTS)", metadata: ["faults": "\(faults)"])
        }
        var options = StorageOptions()
        options.compactionThreshold = configuration.compactionThreshold
        options.maxRowsetsPerTablet = configuration.maxRowsetsPerTablet
        options.checkpointInterval = configuration.checkpointInterval
        options.groupCommit = configuration.groupCommit
        BackgroundWork.niceIncrement = Int32(configuration.loadBackgroundNice)
        options.labelKeepSeconds = Int64(configuration.labelKeepSeconds)
        let path = configuration.dataDirectory
        let storageOptions = options
        let engine = try await BlockingIO.run { try StorageEngine(path: path, options: storageOptions) }
        defer { engine.close() }
        let report = engine.recovery
        logger.info(
            "data directory opened",
            metadata: [
                "path": "\(path)", "replayed": "\(report.replayedRecords)",
                "orphans_removed": "\(report.removedOrphans)",
                "torn_bytes": "\(report.tornBytes)",
            ])

        let router = Router(context: SluiceRequestContext.self)
        try AccessBootstrap.apply(
            rootPassword: configuration.rootPassword, engine: engine, host: configuration.host, logger: logger)
        let logins = Logins(engine: engine)
        let authenticator = {
            var authenticator = Authenticator(logins: logins)
            authenticator.logger = logger
            return authenticator
        }()
        let transactions = TransactionManager(engine: engine)
        let loadService = LoadService(
            engine: engine, transactions: transactions,
            memoryBudget: LoadMemoryBudget(total: configuration.loadTotalMemoryLimitBytes))
        let advertised = configuration.advertisedAddress ?? "\(configuration.host):\(configuration.httpPort)"
        var routineLoadOptions = RoutineLoadOptions()
        routineLoadOptions.memoryLimit = configuration.loadMemoryLimitBytes
        routineLoadOptions.maxConcurrentTasks = configuration.routineLoadMaxTasks
        routineLoadOptions.sourceGraceMilliseconds = Int64(configuration.routineLoadSourceGraceSeconds) * 1000
        routineLoadOptions.avroSchemas = SchemaRegistryClient().makeCache()
        if configuration.routineLoadTestBatchIntervalMilliseconds > 0 {
            routineLoadOptions.batchIntervalOverride = .milliseconds(
                configuration.routineLoadTestBatchIntervalMilliseconds)
        }
        let routineLoad = RoutineLoadManager(
            service: loadService, factory: KafkaSourceFactory(), options: routineLoadOptions, logger: logger)
        var identity = ServerIdentity()
        identity.serverVersion = configuration.mysqlServerVersion
        identity.versionComment = "\(SluiceVersion.current)-sluice"
        identity.currentVersion = "3.5.0 sluice-\(SluiceVersion.current)"
        identity.host = configuration.host
        identity.httpPort = configuration.httpPort
        identity.queryPort = configuration.queryPort
        identity.startMicros = Int64(Date().timeIntervalSince1970 * 1_000_000)
        identity.systemTimeZone = TimeZone.current.identifier == "GMT" ? "UTC" : TimeZone.current.identifier
        var executor = SQLExecutor(
            engine: engine, transactions: transactions, routineLoad: routineLoad,
            globals: GlobalVariables(identity: identity))
        executor.logger = logger
        executor.downloadFile = { try HTTPDownload.body(of: $0) }
        let brokerLoad = BrokerLoadManager(
            engine: engine, loads: loadService, maxConcurrentJobs: configuration.brokerLoadMaxConcurrentJobs,
            logger: logger)
        brokerLoad.start()
        defer { brokerLoad.shutdown() }
        executor.brokerLoad = brokerLoad
        let pipes = PipeManager(engine: engine, runner: SQLPipeTaskRunner(executor: executor), logger: logger)
        pipes.start()
        defer { pipes.shutdown() }
        executor.pipes = pipes
        executor.errorLogURL = { "http://\(advertised)/api/_load_error_log?file=\($0)" }
        executor.maxStatementBytes = configuration.maxStatementBytes
        ExprLimits.setMaxDepth(configuration.maxExpressionDepth)
        var sqlRoutes = SQLRoutes(executor: executor, authenticator: authenticator)
        // The JSON envelope escapes the statement: room for twice its limit.
        sqlRoutes.maxRequestBytes = 2 * configuration.maxStatementBytes + 65_536
        sqlRoutes.advertisedAddress = advertised
        sqlRoutes.register(on: router)
        var streamLoad = StreamLoadRoutes(
            service: loadService, authenticator: authenticator, advertisedAddress: advertised)
        streamLoad.streamingLoadMaxBytes = configuration.streamingLoadMaxMegabytes << 20
        streamLoad.defaultMemoryLimit = configuration.loadMemoryLimitBytes
        streamLoad.logger = logger
        streamLoad.admission = LoadAdmission(limit: configuration.maxConcurrentLoads)
        streamLoad.register(on: router)
        let streamLoadRoutes = streamLoad
        let transactionLoads = TransactionLoads(service: loadService)
        var transactionRoutes = TransactionRoutes(loads: transactionLoads, streamLoad: streamLoad)
        transactionRoutes.sourceCommit = SourceCommitAPI(enabled: configuration.sourceCommitAPI)
        transactionRoutes.register(on: router)
        router.get("/api/health") { _, _ in "{\"status\":\"OK\"}" }
        let readiness = Readiness()
        let endpoints = EndpointGuard(authenticator: authenticator, openPaths: configuration.openEndpoints)
        HealthRoutes(loads: loadService, transactions: transactions, routineLoad: routineLoad, readiness: readiness)
            .register(on: router, guard: endpoints)
        StatusRoutes(engine: engine, routineLoad: routineLoad).register(on: router, guard: endpoints)
        let tls = try TLSSettings.make(configuration)
        var limits = HTTPConnectionLimits()
        limits.maxConnections = configuration.maxHTTPConnections
        limits.headerTimeout = .seconds(Int64(configuration.headerTimeoutSeconds))
        limits.idleTimeout = .seconds(Int64(configuration.idleTimeoutSeconds))
        limits.bodyTimeout = .seconds(Int64(configuration.bodyTimeoutSeconds))
        let httpConfiguration = HTTP1Channel.Configuration(
            additionalChannelHandlers: SluiceChannelHandlers.make(
                authenticator: authenticator, streamLoad: streamLoadRoutes),
            idleTimeout: nil,
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: configuration.maxHeaderBytes, maxHeaderListSize: configuration.maxHeaderBytes,
                maxHeaderFieldCount: configuration.maxHeaderCount))
        let connectionCount = ConnectionCount()
        let server = HTTPServerBuilder { [limits] responder in
            let http = HTTP1Channel(responder: responder, configuration: httpConfiguration)
            guard let tls else {
                return GuardedChannel(http, limits: limits, count: connectionCount, logger: logger)
            }
            return GuardedChannel(
                try TLSChannel(http, tlsConfiguration: tls), limits: limits, count: connectionCount, logger: logger)
        }
        let app = Application(
            responder: TrailingSlashResponder(router.buildResponder()),
            server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.httpPort), serverName: "Sluice"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.httpPort
                logger.info(
                    "Sluice listening",
                    metadata: [
                        "host": "\(configuration.host)", "port": "\(port)",
                        "scheme": "\(tls == nil ? "http" : "https")",
                    ])
                onReady(port)
            },
            logger: logger)
        let compaction = MaintenanceService(
            engine: engine, transactions: transactions, transactionLoads: transactionLoads, routineLoad: routineLoad,
            jobKeep: .seconds(configuration.labelKeepSeconds),
            interval: .milliseconds(configuration.compactionIntervalMilliseconds),
            labelCleanInterval: .seconds(configuration.labelCleanIntervalSeconds),
            errorLogReserve: .seconds(configuration.errorLogReserveHours * 3600), logger: logger)
        var mysqlServices = [ServiceGroupConfiguration.ServiceConfiguration]()
        if configuration.queryPort != 0 {
            var options = MySQLServer.Options()
            options.host = configuration.host
            options.port = configuration.queryPort
            options.maxConnections = configuration.maxConnections
            options.maxUserConnections = configuration.maxUserConnections
            options.maxPacket = configuration.maxAllowedPacket
            options.advertisedAddress = advertised
            options.tls = try tls.map { try NIOSSLContext(configuration: $0) }
            options.requireSecureTransport = configuration.requireSecureTransport
            let mysql = MySQLServer(executor: executor, logins: logins, options: options, logger: logger)
            let listener: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
            do {
                listener = try await mysql.bind()
            } catch {
                throw ListenError(
                    "cannot listen on \(configuration.host):\(configuration.queryPort) for the MySQL protocol "
                        + "(server.query_port, --query-port; 0 turns it off): \(ListenError.reason(error))")
            }
            let port = listener.channel.localAddress?.port ?? configuration.queryPort
            logger.info("MySQL protocol listening on \(configuration.host):\(port)")
            mysqlServices.append(.init(service: MySQLService(server: mysql, listener: listener)))
        }
        var remoteServices = [ServiceGroupConfiguration.ServiceConfiguration]()
        if let sink = configuration.sink {
            remoteServices.append(
                .init(service: Self.remoteJobs(configuration, sink: sink, manager: routineLoad, logger: logger)))
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: mysqlServices + remoteServices + [
                .init(service: app), .init(service: compaction),
                .init(
                    service: RoutineLoadService(
                        manager: routineLoad,
                        declaredJobs: configuration.sink == nil ? configuration.routineLoadJobs : [],
                        logger: logger)),
                .init(service: ReadinessService(readiness: readiness)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // A stalled client must not hold the process: past the grace, running requests are
        // cancelled (their loads abort, nothing of them becomes visible).
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.shutdownGraceSeconds)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch let error as NIOCore.IOError where ListenError.isBindFailure(error) {
            throw ListenError(
                "cannot listen on \(configuration.host):\(configuration.httpPort) for HTTP (server.http_port, "
                    + "--http-port): \(ListenError.reason(error))")
        }
        logger.info("Sluice stopped")
    }
}

extension SluiceServer {
    /// The remote-sink jobs of `routine_load.jobs` (`sink` configured).
    static func remoteJobs(
        _ configuration: SluiceConfiguration, sink: SinkSettings, manager: RoutineLoadManager, logger: Logger
    ) -> RemoteJobService {
        let name = configuration.daemonName ?? "\(ProcessInfo.processInfo.hostName):\(configuration.httpPort)"
        var settings = RemoteJobSettings(daemon: name, wait: { HTTPTransactionSink.sleep($0) })
        settings.sinkName = sink.description
        settings.startTime = Int64(Date().timeIntervalSince1970)
        settings.maxBatchAge = .seconds(configuration.maxBatchAgeSeconds)
        settings.revokeCommitDeadline = .milliseconds(configuration.revokeCommitDeadlineMilliseconds)
        settings.intervalPerMember = .milliseconds(configuration.intervalPerMemberMilliseconds)
        settings.transactionTimeoutSeconds = configuration.transactionTimeoutSeconds
        settings.preparedTimeoutSeconds = configuration.preparedTimeoutSeconds
        let session = configuration.groupSessionTimeoutMilliseconds
        settings.groupSettings = [
            "session.timeout.ms": "\(session)", "heartbeat.interval.ms": "\(max(100, session / 10))",
            "max.poll.interval.ms": "\(max(session, 60_000))",
        ]
        if configuration.routineLoadTestBatchIntervalMilliseconds > 0 {
            settings.batchIntervalOverride = .milliseconds(configuration.routineLoadTestBatchIntervalMilliseconds)
        }
        return RemoteJobService(
            manager: manager, declaredJobs: configuration.routineLoadJobs, sink: sink, settings: settings,
            logger: logger)
    }
}

/// A port the server could not bind, named with its address and the setting that chose it.
package struct ListenError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }

    static func isBindFailure(_ error: NIOCore.IOError) -> Bool {
        [EADDRINUSE, EADDRNOTAVAIL, EACCES].contains(error.errnoCode)
    }

    /// The system's words for a bind failure (`Address already in use`), else the error.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? NIOCore.IOError else { return "\(error)" }
        return String(cString: strerror(error.errnoCode))
    }
}
