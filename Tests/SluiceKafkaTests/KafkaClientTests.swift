import Foundation
import SluiceKafka
import SluiceRoutineLoad
import SluiceTesting
import Testing

/// librdkafka through our wrapper against a mock cluster running as its own process.
@Suite(.serialized) struct KafkaClientTests {
    @Test(.timeLimit(.minutes(2)))
    func everyProducedMessageIsConsumedOnceByOffset() async throws {
        let broker = try KafkaMockProcess(brokers: 3, topics: ["events": 4])
        defer { broker.stop() }
        let servers = broker.bootstrapServers
        let total = 20_000
        try await onDedicatedThread {
            let producer = try KafkaProducer(bootstrapServers: servers, topic: "events")
            for i in 0..<total { try producer.send("message-\(i)", partition: Int32(i % 4)) }
            try producer.flush()
        }
        let (seen, watermarks) = try await onDedicatedThread { () -> ([String: Int], [Int64]) in
            let consumer = try KafkaConsumer(bootstrapServers: servers, topic: "events", groupID: "test")
            try consumer.assign([0: 0, 1: 0, 2: 0, 3: 0])
            var seen = [String: Int]()
            var offsets = [Int32: Int64]()
            let deadline = Date().addingTimeInterval(60)
            while seen.count < total, Date() < deadline {
                let batch = try consumer.poll(maxMessages: 5000, timeoutMilliseconds: 200)
                for i in 0..<batch.count {
                    let p = batch.partitions[i]
                    #expect(batch.offsets[i] == (offsets[p] ?? -1) + 1, "offset gap in partition \(p)")
                    offsets[p] = batch.offsets[i]
                    seen[String(decoding: batch.message(i), as: UTF8.self), default: 0] += 1
                }
            }
            let marks = try (0..<4).map { try consumer.watermarks(partition: Int32($0)).high }
            return (seen, marks)
        }
        #expect(seen.count == total)
        #expect(seen.values.allSatisfy { $0 == 1 })
        #expect(watermarks == [5000, 5000, 5000, 5000])
    }

    /// `property.*` as StarRocks' BE applies them (spec B.1, B.4): unknown keys ignored, invalid
    /// values refused with librdkafka's words (secrets never echoed), clients that cannot be
    /// created reported as `failed to create kafka consumer: …`; both SASL spellings accepted.
    @Test func settingsAreAppliedAsStarRocksAppliesThem() throws {
        let factory = KafkaSourceFactory()
        try factory.checkSettings([
            "no.such.setting": "1", "sasl.mechanism": "PLAIN", "sasl.mechanisms": "PLAIN", "sasl.jaas.config": "x",
        ])
        _ = try KafkaConsumer(
            bootstrapServers: "127.0.0.1:1", topic: "t", groupID: "g", settings: ["no.such.setting": "1"])
        #expect {
            try factory.checkSettings(["security.protocol": "foo"])
        } throws: {
            ($0 as? SourceSettingError)?.reason
                == #"Invalid value "foo" for configuration property "security.protocol""#
        }
        #expect {
            _ = try KafkaConsumer(
                bootstrapServers: "127.0.0.1:1", topic: "t", groupID: "g",
                settings: ["security.protocol": "foo", "sasl.password": "s3cret"])
        } throws: { error in
            guard let error = error as? SourceError else { return false }
            return error.kind == .configuration && !error.message.contains("s3cret")
                && error.message.contains(#"failed to set 'security.protocol', value: 'foo', err: Invalid value"#)
        }
        #expect {
            _ = try KafkaConsumer(
                bootstrapServers: "127.0.0.1:1", topic: "t", groupID: "g",
                settings: ["security.protocol": "sasl_plaintext", "sasl.mechanism": "FOO"])
        } throws: { error in
            guard let error = error as? SourceError else { return false }
            return error.kind == .configuration
                && error.message == "failed to create kafka consumer: Unsupported SASL mechanism: FOO"
        }
    }

    /// A consumer speaking SASL or TLS to a plaintext listener: the broker request fails, and the
    /// failure carries librdkafka's reason (spec B.4), classified as authentication.
    @Test(.timeLimit(.minutes(2)))
    func securityRefusalsAreReportedInLibrdkafkasWords() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["t": 1])
        defer { broker.stop() }
        let servers = broker.bootstrapServers
        for (settings, expected) in [
            (
                [
                    "security.protocol": "sasl_plaintext", "sasl.mechanism": "PLAIN", "sasl.username": "a",
                    "sasl.password": "b",
                ],
                "SASL Handshake not supported by broker (required by mechanism PLAIN)"
            ),
            (["security.protocol": "ssl"], "SSL handshake failed"),
        ] {
            let failure = try await onDedicatedThread { () -> SourceError? in
                let consumer = try KafkaConsumer(
                    bootstrapServers: servers, topic: "t", groupID: "g", settings: settings)
                do {
                    _ = try consumer.partitions()
                    return nil
                } catch let error as SourceError {
                    return error
                }
            }
            #expect(failure?.kind == .authentication, "\(String(describing: failure))")
            #expect(failure?.message.contains(expected) == true, "\(String(describing: failure))")
        }
    }
}
