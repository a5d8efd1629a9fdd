import CRdKafka
package import SluiceRoutineLoad

/// A librdkafka consumer with explicit partition assignment (no group rebalancing) and batch reads.
///
/// Blocking: own it from one dedicated thread. Offsets are never committed to Kafka by this type;
/// progress lives in Sluice's commit records. `auto.offset.reset=error` turns a retention gap into
/// an error instead of a silent jump.
package final class KafkaConsumer: MessageSource {
    private let handle: OpaquePointer
    private let queue: OpaquePointer
    package let topic: String
    private var messages = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: 10_000)

    /// - Parameter settings: extra librdkafka settings (`property.*` of a job), applied last.
    package init(bootstrapServers: String, topic: String, groupID: String, settings: [String: String] = [:]) throws {
        var all = [
            "bootstrap.servers": bootstrapServers, "group.id": groupID, "enable.auto.commit": "false",
            "enable.auto.offset.store": "false", "auto.offset.reset": "error", "queued.min.messages": "1000000",
            "reconnect.backoff.max.ms": "1000", "log_level": "3",
        ]
        for (k, v) in settings { all[k] = v }
        do {
            handle = try KafkaConf.client(RD_KAFKA_CONSUMER, all)
        } catch {
            throw SourceError(.configuration, "\(error)")
        }
        rd_kafka_poll_set_consumer(handle)
        guard let q = rd_kafka_queue_get_consumer(handle) else {
            KafkaConf.destroy(handle)
            throw KafkaError("cannot get the consumer queue")
        }
        queue = q
        self.topic = topic
    }

    /// The topic's partitions from broker metadata. Asks for every topic and looks ours up: a
    /// request naming the topic may create it on brokers that auto-create topics (the mock
    /// cluster does), and a missing topic must be reported, not made.
    package func partitions() throws -> [Int32] { try explained { try KafkaFetch.partitions(handle, topic: topic) } }

    /// Runs a broker request; a transient failure while the brokers refuse our SASL credentials or
    /// TLS handshake is reported as that refusal, in librdkafka's words.
    private func explained<T>(_ request: () throws -> T) throws -> T {
        do {
            return try request()
        } catch let error as SourceError where error.kind == .transient {
            if let refusal = KafkaSecurityFailures.failure(handle) { throw SourceError(.authentication, refusal) }
            throw error
        }
    }

    package func cachedHighWatermark(partition: Int32) -> Int64? {
        var low: Int64 = 0, high: Int64 = 0
        let error = rd_kafka_get_watermark_offsets(handle, topic, partition, &low, &high)
        return error == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 ? high : nil
    }

    package func assign(_ starts: [Int32: Int64]) throws {
        guard let list = rd_kafka_topic_partition_list_new(Int32(starts.count)) else {
            throw SourceError(.permanent, "out of memory")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in starts.sorted(by: { $0.key < $1.key }) {
            let entry = rd_kafka_topic_partition_list_add(list, topic, partition)
            entry?.pointee.offset = offset
        }
        let error = rd_kafka_assign(handle, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw SourceError(.permanent, "assign failed: \(KafkaConf.errorText(error))")
        }
    }

    package func poll(maxMessages: Int, timeoutMilliseconds: Int) throws -> MessageBatch {
        try KafkaFetch.poll(
            queue, buffer: &messages, maxMessages: maxMessages, timeoutMilliseconds: timeoutMilliseconds)
    }

    static func classify(_ error: rd_kafka_resp_err_t, partition: Int32, offset: Int64) -> SourceError {
        let text = "partition \(partition): \(KafkaConf.errorText(error))"
        switch error {
        case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
            return SourceError(.offsetOutOfRange(partition: partition), "Offset out of range: \(text)")
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR__SSL:
            return SourceError(.permanent, text)
        // Unknown topic/partition errors also show up transiently while brokers restart or
        // leaders move: retried like any broker fault (a missing topic is caught at scheduling).
        default:
            return SourceError(.transient, text)
        }
    }

    package func probe(partition: Int32, timeoutMilliseconds: Int) throws {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(
            handle, topic, partition, &low, &high, Int32(clamping: timeoutMilliseconds))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            try explained { throw SourceError(.transient, "partition \(partition): \(KafkaConf.errorText(error))") }
            return
        }
    }

    /// Low and high watermarks of a partition (the high one is the next offset to be produced).
    package func watermarks(partition: Int32) throws -> (low: Int64, high: Int64) {
        var low: Int64 = 0, high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, 5000)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            return try explained {
                throw SourceError(.transient, "watermarks of partition \(partition): \(KafkaConf.errorText(error))")
            }
        }
        return (low, high)
    }

    deinit {
        rd_kafka_queue_destroy(queue)
        rd_kafka_consumer_close(handle)
        KafkaConf.destroy(handle)
    }
}

/// Opens ``KafkaConsumer``s for Routine Load jobs.
package struct KafkaSourceFactory: MessageSourceFactory {
    package init() {}

    package func makeSource(brokers: String, topic: String, groupID: String, settings: [String: String]) throws
        -> any MessageSource
    {
        try KafkaConsumer(bootstrapServers: brokers, topic: topic, groupID: groupID, settings: settings)
    }

    @discardableResult
    package func checkSettings(_ settings: [String: String]) throws(SourceSettingError) -> [String] {
        try KafkaConf.check(settings)
    }
}
