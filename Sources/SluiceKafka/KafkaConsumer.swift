import CRdKafka
public import SluiceRoutineLoad

/// A librdkafka consumer with explicit partition assignment (no group rebalancing) and batch reads.
///
/// Blocking: own it from one dedicated thread. Offsets are never committed to Kafka by this type;
/// progress lives in Sluice's commit records. `auto.offset.reset=error` turns a retention gap into
/// an error instead of a silent jump.
public final class KafkaConsumer: MessageSource {
    private let handle: OpaquePointer
    private let queue: OpaquePointer
    public let topic: String
    private var messages = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: 10_000)

    /// - Parameter settings: extra librdkafka settings (`property.*` of a job), applied last.
    public init(bootstrapServers: String, topic: String, groupID: String, settings: [String: String] = [:]) throws {
        var all = [
            "bootstrap.servers": bootstrapServers, "group.id": groupID, "enable.auto.commit": "false",
            "enable.auto.offset.store": "false", "auto.offset.reset": "error", "queued.min.messages": "1000000",
            "reconnect.backoff.max.ms": "1000", "log_level": "3",
        ]
        for (k, v) in settings { all[k] = v }
        handle = try KafkaConf.client(RD_KAFKA_CONSUMER, all)
        rd_kafka_poll_set_consumer(handle)
        guard let q = rd_kafka_queue_get_consumer(handle) else {
            rd_kafka_destroy(handle)
            throw KafkaError("cannot get the consumer queue")
        }
        queue = q
        self.topic = topic
    }

    public func assign(_ starts: [Int32: Int64]) throws {
        guard let list = rd_kafka_topic_partition_list_new(Int32(starts.count)) else { throw KafkaError("out of memory") }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in starts.sorted(by: { $0.key < $1.key }) {
            let entry = rd_kafka_topic_partition_list_add(list, topic, partition)
            entry?.pointee.offset = offset
        }
        let error = rd_kafka_assign(handle, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError("assign failed: \(KafkaConf.errorText(error))", code: error.rawValue)
        }
    }

    public func poll(maxMessages: Int, timeoutMilliseconds: Int) throws -> MessageBatch {
        var batch = MessageBatch()
        let wanted = min(maxMessages, messages.count)
        let count = messages.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_consume_batch_queue(queue, Int32(timeoutMilliseconds), buffer.baseAddress, wanted)
        }
        guard count >= 0 else {
            throw KafkaError("consume failed: \(KafkaConf.errorText(rd_kafka_last_error()))", isRetriable: true)
        }
        var failure: KafkaError?
        for i in 0..<count {
            guard let message = messages[i] else { continue }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
                let fatal = m.err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || m.err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE
                failure = failure ?? KafkaError(
                    "partition \(m.partition): \(KafkaConf.errorText(m.err))", code: m.err.rawValue, isRetriable: !fatal)
                continue
            }
            var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let timestamp = rd_kafka_message_timestamp(message, &timestampType)
            batch.append(partition: m.partition, offset: m.offset, timestamp: timestamp,
                         payload: UnsafeRawBufferPointer(start: m.payload, count: m.len))
        }
        if let failure, batch.count == 0 { throw failure }
        return batch
    }

    /// Low and high watermarks of a partition (the high one is the next offset to be produced).
    public func watermarks(partition: Int32, timeoutMilliseconds: Int32 = 5000) throws -> (low: Int64, high: Int64) {
        var low: Int64 = 0, high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError("watermarks of partition \(partition): \(KafkaConf.errorText(error))", code: error.rawValue, isRetriable: true)
        }
        return (low, high)
    }

    deinit {
        rd_kafka_queue_destroy(queue)
        rd_kafka_consumer_close(handle)
        rd_kafka_destroy(handle)
    }
}
