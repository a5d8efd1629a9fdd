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

    @Test func badSettingsAreReportedByName() {
        #expect(throws: SourceError.self) {
            _ = try KafkaConsumer(
                bootstrapServers: "127.0.0.1:1", topic: "t", groupID: "g", settings: ["no.such.setting": "1"])
        }
    }
}
