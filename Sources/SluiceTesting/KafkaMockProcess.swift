import Foundation

/// `sluice kafka-mock` as a separate process: a real broker endpoint for tests (the daemon and
/// kcat connect to it over TCP, as to any Kafka).
package final class KafkaMockProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched from the owning test.
    private let process = Process()
    private let input = Pipe()
    package let bootstrapServers: String
    /// Broker ids are 1...brokers.
    package let brokers: Int

    /// Starts `brokers` brokers with `topics` (name → partitions) and waits for the bootstrap line.
    package init(brokers: Int = 3, topics: [String: Int]) throws {
        self.brokers = brokers
        process.executableURL = URL(fileURLWithPath: ServerProcess.executable)
        process.arguments =
            ["kafka-mock", "--brokers", String(brokers)]
            + topics.sorted { $0.key < $1.key }.flatMap {
                ["--topic", "\($0.key):\($0.value)"]
            }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = input
        try process.run()
        let line = readFirstLine(pipe)
        guard line.hasPrefix("bootstrap servers: ") else {
            process.terminate()
            throw ServerProcessError("kafka-mock did not start: \(line)")
        }
        bootstrapServers = String(line.dropFirst("bootstrap servers: ".count))
    }

    /// Stops (connections refused) or restarts one broker of the running cluster.
    package func setBroker(_ id: Int, up: Bool) {
        input.fileHandleForWriting.write(Data("\(up ? "up" : "down") \(id)\n".utf8))
    }

    /// Fails the next `count` heartbeats of every group with Kafka error `code` (22 =
    /// ILLEGAL_GENERATION: members lose their assignment and rejoin).
    package func failHeartbeats(code: Int32 = 22, count: Int) {
        input.fileHandleForWriting.write(Data("hb-error \(code) \(count)\n".utf8))
    }

    /// Pins a consumer group's coordinator to a broker.
    package func setCoordinator(group: String, broker: Int) {
        input.fileHandleForWriting.write(Data("coordinator \(group) \(broker)\n".utf8))
    }

    /// Takes every broker down or up.
    package func setAllBrokers(up: Bool) {
        for id in 1...brokers { setBroker(id, up: up) }
    }

    package func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Runs blocking work on a dedicated thread (never on the cooperative pool) and awaits it.
package func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}
