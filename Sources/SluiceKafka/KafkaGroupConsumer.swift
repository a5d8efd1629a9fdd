import CRdKafka
import Logging
package import SluiceRoutineLoad

/// A librdkafka consumer in a consumer group (remote-sink mode, design/SCALE-OUT.md §2.3):
/// `subscribe` with `cooperative-sticky` assignment and a rebalance callback that asks the
/// ``GroupRebalanceHandler`` where each new partition starts (the sink's progress) before it
/// assigns incrementally, and lets it finish or drop its batch before partitions are unassigned.
/// `enable.auto.commit=false`: group offsets are never read or written.
///
/// Blocking: own it from one dedicated thread; rebalance callbacks run on that thread inside
/// ``poll(maxMessages:timeoutMilliseconds:)`` and ``close()``.
package final class KafkaGroupConsumer: GroupMessageSource {
    private let handle: OpaquePointer
    private let queue: OpaquePointer
    package let topic: String
    private let groupID: String
    /// What the rebalance callback reaches through the configuration's opaque.
    private let relay: RebalanceRelay
    private var messages = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: 10_000)
    private var closed = false

    /// - Parameter settings: extra librdkafka settings, applied last (the group's timeouts).
    package init(bootstrapServers: String, topic: String, groupID: String, settings: [String: String] = [:]) throws {
        var all = [
            "bootstrap.servers": bootstrapServers, "group.id": groupID, "enable.auto.commit": "false",
            "enable.auto.offset.store": "false", "auto.offset.reset": "error",
            "partition.assignment.strategy": "cooperative-sticky", "queued.min.messages": "100000",
            "reconnect.backoff.max.ms": "1000", "log_level": "3",
        ]
        for (k, v) in settings { all[k] = v }
        let conf: OpaquePointer
        do {
            conf = try KafkaConf.make(all)
        } catch {
            throw SourceError(.permanent, "\(error)")
        }
        relay = RebalanceRelay(topic: topic)
        rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(relay).toOpaque())
        var errorText = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw SourceError(.permanent, "cannot create Kafka consumer: \(KafkaConf.text(errorText))")
        }
        handle = rk
        rd_kafka_poll_set_consumer(handle)
        guard let q = rd_kafka_queue_get_consumer(handle) else {
            KafkaConf.destroy(handle)
            throw SourceError(.permanent, "cannot get the consumer queue")
        }
        queue = q
        self.topic = topic
        self.groupID = groupID
    }

    package func subscribe(_ handler: any GroupRebalanceHandler) throws {
        relay.handler = handler
        guard let list = rd_kafka_topic_partition_list_new(1) else { throw SourceError(.permanent, "out of memory") }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        let error = rd_kafka_subscribe(handle, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw SourceError(.permanent, "subscribe to \(topic) failed: \(KafkaConf.errorText(error))")
        }
    }

    package var memberID: String {
        guard let id = rd_kafka_memberid(handle) else { return "" }
        defer { rd_kafka_mem_free(handle, id) }
        return String(cString: id)
    }

    package func partitions() throws -> [Int32] { try KafkaFetch.partitions(handle, topic: topic) }

    package func groupSize() -> Int? {
        var list: UnsafePointer<rd_kafka_group_list>?
        let error = rd_kafka_list_groups(handle, groupID, &list, 5000)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return nil }
        defer { rd_kafka_group_list_destroy(list) }
        guard list.pointee.group_cnt > 0 else { return nil }
        return Int(list.pointee.groups[0].member_cnt)
    }

    package func poll(maxMessages: Int, timeoutMilliseconds: Int) throws -> MessageBatch {
        try KafkaFetch.poll(
            queue, buffer: &messages, maxMessages: maxMessages, timeoutMilliseconds: timeoutMilliseconds)
    }

    package func seed(_ offsets: [Int32: Int64]) throws {
        try seek(offsets)
        try withList(offsets) { list in
            let error = rd_kafka_resume_partitions(handle, list)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw SourceError(.transient, "resume failed: \(KafkaConf.errorText(error))")
            }
        }
    }

    package func seek(_ offsets: [Int32: Int64]) throws {
        guard !offsets.isEmpty else { return }
        try withList(offsets) { list in
            if let error = rd_kafka_seek_partitions(handle, list, 5000) {
                defer { rd_kafka_error_destroy(error) }
                throw SourceError(.transient, "seek failed: \(String(cString: rd_kafka_error_string(error)))")
            }
            // A partition the seek did not reach would go on from where its fetch was: refuse.
            let entries = UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
            if let failed = entries.first(where: { $0.err != RD_KAFKA_RESP_ERR_NO_ERROR }) {
                throw SourceError(
                    .transient, "seek of partition \(failed.partition) failed: \(KafkaConf.errorText(failed.err))")
            }
        }
    }

    package func watermarks(partition: Int32) throws -> (low: Int64, high: Int64) {
        var low: Int64 = 0, high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, 5000)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw SourceError(.transient, "watermarks of partition \(partition): \(KafkaConf.errorText(error))")
        }
        return (low, high)
    }

    package func close() {
        guard !closed else { return }
        closed = true
        _ = rd_kafka_consumer_close(handle)
    }

    private func withList(
        _ offsets: [Int32: Int64], _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws -> Void
    ) throws {
        try Self.withList(offsets, topic: topic, body)
    }

    /// A partition list of `topic` with `offsets`, alive while `body` runs.
    static func withList(
        _ offsets: [Int32: Int64], topic: String,
        _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws -> Void
    ) throws {
        guard let list = rd_kafka_topic_partition_list_new(Int32(offsets.count)) else {
            throw SourceError(.permanent, "out of memory")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            rd_kafka_topic_partition_list_add(list, topic, partition)?.pointee.offset = offset
        }
        try body(list)
    }

    deinit {
        close()
        rd_kafka_queue_destroy(queue)
        KafkaConf.destroy(handle)
    }
}

/// The rebalance callback's state: the handler the consumer subscribed with. Lives as long as
/// its consumer (which holds it); only touched on the consumer's polling thread.
final class RebalanceRelay {
    let topic: String
    var handler: (any GroupRebalanceHandler)?

    init(topic: String) { self.topic = topic }

    /// Called by librdkafka on the polling thread.
    func rebalance(
        _ handle: OpaquePointer, _ error: rd_kafka_resp_err_t,
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let cooperative = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) } == "COOPERATIVE"
        let entries = UnsafeMutableBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
        let partitions = entries.map(\.partition).sorted()
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let starts = handler?.assigned(partitions) ?? [:]
            var unseeded = [Int32: Int64]()
            for i in entries.indices {
                if let start = starts[entries[i].partition] {
                    entries[i].offset = start
                } else {
                    // Never RD_KAFKA_OFFSET_INVALID (that reads the group's offset): park it at
                    // the end, paused, until the sink's progress is known.
                    entries[i].offset = Int64(RD_KAFKA_OFFSET_END)
                    unseeded[entries[i].partition] = 0
                }
            }
            if cooperative {
                if let failure = rd_kafka_incremental_assign(handle, list) {
                    kafkaLogger.warning("incremental assign failed: \(String(cString: rd_kafka_error_string(failure)))")
                    rd_kafka_error_destroy(failure)
                }
            } else {
                _ = rd_kafka_assign(handle, list)
            }
            if !unseeded.isEmpty {
                try? KafkaGroupConsumer.withList(unseeded, topic: topic) { _ = rd_kafka_pause_partitions(handle, $0) }
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            handler?.revoked(partitions, lost: rd_kafka_assignment_lost(handle) != 0)
            if cooperative {
                if let failure = rd_kafka_incremental_unassign(handle, list) { rd_kafka_error_destroy(failure) }
            } else {
                _ = rd_kafka_assign(handle, nil)
            }
        default:
            kafkaLogger.warning("rebalance failed: \(KafkaConf.errorText(error))")
            handler?.revoked(partitions, lost: true)
            _ = rd_kafka_assign(handle, nil)
        }
    }

}

private let rebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { rk, error, list, opaque in
        guard let rk, let opaque, let list else { return }
        Unmanaged<RebalanceRelay>.fromOpaque(opaque).takeUnretainedValue().rebalance(rk, error, list)
    }

/// Opens ``KafkaGroupConsumer``s for remote-sink jobs.
package struct KafkaGroupSourceFactory: GroupSourceFactory {
    package init() {}

    package func makeGroupSource(brokers: String, topic: String, groupID: String, settings: [String: String]) throws
        -> any GroupMessageSource
    {
        try KafkaGroupConsumer(bootstrapServers: brokers, topic: topic, groupID: groupID, settings: settings)
    }
}
