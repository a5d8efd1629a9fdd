import CRdKafka
import SluiceRoutineLoad

/// What both consumers (explicit assignment, consumer group) do the same way: drain the
/// consumer queue into a ``MessageBatch`` and read a topic's partitions from broker metadata.
enum KafkaFetch {
    /// Up to `maxMessages` messages from `queue`, copied into Swift memory; `buffer` is reused
    /// between calls (its size caps one drain).
    static func poll(
        _ queue: OpaquePointer, buffer: inout [UnsafeMutablePointer<rd_kafka_message_t>?], maxMessages: Int,
        timeoutMilliseconds: Int
    ) throws -> MessageBatch {
        var batch = MessageBatch()
        let wanted = min(maxMessages, buffer.count)
        let count = buffer.withUnsafeMutableBufferPointer { pointers in
            rd_kafka_consume_batch_queue(queue, Int32(timeoutMilliseconds), pointers.baseAddress, wanted)
        }
        guard count >= 0 else {
            throw SourceError(.transient, "consume failed: \(KafkaConf.errorText(rd_kafka_last_error()))")
        }
        var failure: SourceError?
        for i in 0..<count {
            guard let message = buffer[i] else { continue }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
                failure = failure ?? KafkaConsumer.classify(m.err, partition: m.partition, offset: m.offset)
                continue
            }
            var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let timestamp = rd_kafka_message_timestamp(message, &timestampType)
            batch.append(
                partition: m.partition, offset: m.offset, timestamp: timestamp,
                payload: UnsafeRawBufferPointer(start: m.payload, count: m.len))
        }
        if let failure, batch.count == 0 { throw failure }
        return batch
    }

    /// The topic's partitions from broker metadata. Asks for every topic and looks ours up: a
    /// request naming the topic may create it on brokers that auto-create topics (the mock
    /// cluster does), and a missing topic must be reported, not made.
    static func partitions(_ handle: OpaquePointer, topic: String) throws -> [Int32] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle, 1, nil, &metadata, 5000)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw SourceError(.transient, "cannot fetch metadata of topic \(topic): \(KafkaConf.errorText(error))")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let topics = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        guard let entry = topics.first(where: { String(cString: $0.topic) == topic }) else {
            throw SourceError(.permanent, "unknown topic \(topic)")
        }
        guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw SourceError(.transient, "metadata of topic \(topic): \(KafkaConf.errorText(entry.err))")
        }
        return (0..<Int(entry.partition_cnt)).map { entry.partitions[$0].id }.sorted()
    }
}
