import Foundation
import SluiceKafka
import SluiceRoutineLoad
import SluiceTesting
import Synchronization
import Testing

/// Consumer groups through ``KafkaGroupConsumer`` against the mock cluster in its own process:
/// cooperative-sticky assignment spreads partitions, a leaving member's partitions move, and each
/// assignment starts where the (stand-in) sink's progress says — every message read once.
@Suite(.serialized) struct KafkaGroupConsumerTests {
    /// The shared progress (the sink's stand-in) and what each member saw.
    final class Group: Sendable {
        struct State {
            var next: [Int32: Int64] = [:]
            var seen: [String: Int] = [:]
            var owned: [String: Set<Int32>] = [:]
            var revokes: [(member: String, partitions: [Int32], lost: Bool)] = []
        }
        let state = Mutex(State())
    }

    final class Member: GroupRebalanceHandler, @unchecked Sendable {
        // @unchecked: called only on its consumer's polling thread.
        let name: String
        let group: Group
        init(_ name: String, _ group: Group) {
            self.name = name
            self.group = group
        }

        func assigned(_ partitions: [Int32]) -> [Int32: Int64] {
            group.state.withLock { state in
                state.owned[name, default: []].formUnion(partitions)
                return Dictionary(uniqueKeysWithValues: partitions.map { ($0, state.next[$0] ?? 0) })
            }
        }

        func revoked(_ partitions: [Int32], lost: Bool) {
            group.state.withLock { state in
                state.owned[name, default: []].subtract(partitions)
                state.revokes.append((name, partitions, lost))
            }
        }

        /// Polls until `done` holds (or a minute passes), "committing" each message at once.
        func run(_ consumer: KafkaGroupConsumer, until done: (Group.State) -> Bool) throws {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, !group.state.withLock({ done($0) }) {
                let batch = try consumer.poll(maxMessages: 500, timeoutMilliseconds: 100)
                group.state.withLock { state in
                    for i in 0..<batch.count {
                        state.seen[String(decoding: batch.message(i), as: UTF8.self), default: 0] += 1
                        state.next[batch.partitions[i]] = batch.offsets[i] + 1
                    }
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func partitionsSpreadAndMoveWithoutRereading() async throws {
        let broker = try KafkaMockProcess(brokers: 3, topics: ["events": 4])
        defer { broker.stop() }
        let servers = broker.bootstrapServers
        try await onDedicatedThread {
            let producer = try KafkaProducer(bootstrapServers: servers, topic: "events")
            for i in 0..<400 { try producer.send("m-\(i)", partition: Int32(i % 4)) }
            try producer.flush()
        }
        let group = Group()
        let settings = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
        @Sendable func consumer() throws -> KafkaGroupConsumer {
            try KafkaGroupConsumer(bootstrapServers: servers, topic: "events", groupID: "g1", settings: settings)
        }
        // Both members share the partitions, two each, and read all 400 messages between them.
        let spread: @Sendable (Group.State) -> Bool = { state in
            state.seen.count == 400 && state.owned["a"]?.count == 2 && state.owned["b"]?.count == 2
        }
        async let a: String = onDedicatedThread {
            let member = Member("a", group)
            let consumer = try consumer()
            try consumer.subscribe(member)
            try member.run(consumer, until: spread)
            // b leaves; a takes its partitions, starting where b's progress ends.
            try member.run(consumer) { $0.owned["a"]?.count == 4 && $0.owned["b"]?.isEmpty == true }
            try Self.producerSend(servers)
            try member.run(consumer) { $0.seen.count == 440 }
            let id = consumer.memberID
            consumer.close()
            return id
        }
        async let b: String = onDedicatedThread {
            let member = Member("b", group)
            let consumer = try consumer()
            try consumer.subscribe(member)
            try member.run(consumer, until: spread)
            let id = consumer.memberID
            consumer.close()
            return id
        }
        let (idA, idB) = try await (a, b)
        let state = group.state.withLock { $0 }
        #expect(!idA.isEmpty && !idB.isEmpty && idA != idB)
        #expect(state.seen.count == 440, "\(state.seen.count) distinct messages")
        #expect(state.seen.values.allSatisfy { $0 == 1 }, "a message was read twice")
        #expect(state.revokes.contains { $0.member == "b" && $0.partitions.count == 2 && !$0.lost })
        #expect(state.next == [0: 110, 1: 110, 2: 110, 3: 110])
    }

    static func producerSend(_ servers: String) throws {
        let producer = try KafkaProducer(bootstrapServers: servers, topic: "events")
        for i in 400..<440 { try producer.send("m-\(i)", partition: Int32(i % 4)) }
        try producer.flush()
    }
}
