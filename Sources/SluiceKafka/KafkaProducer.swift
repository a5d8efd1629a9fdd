import CRdKafka

/// A blocking producer (`sluice produce`, tests). Use from one thread.
package final class KafkaProducer {
    private let handle: OpaquePointer
    private let topic: OpaquePointer
    package let topicName: String

    package init(bootstrapServers: String, topic: String, settings: [String: String] = [:]) throws {
        var all = [
            "bootstrap.servers": bootstrapServers, "linger.ms": "5", "batch.num.messages": "10000", "log_level": "3",
        ]
        for (k, v) in settings { all[k] = v }
        handle = try KafkaConf.client(RD_KAFKA_PRODUCER, all)
        guard let t = rd_kafka_topic_new(handle, topic, nil) else {
            KafkaConf.destroy(handle)
            throw KafkaError("cannot open topic \(topic)")
        }
        self.topic = t
        topicName = topic
    }

    /// Asks the brokers for the topic's metadata, waiting at most `timeoutMilliseconds`: an
    /// unreachable broker list fails here instead of leaving messages queued forever.
    package func checkReachable(timeoutMilliseconds: Int32 = 10_000) throws {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle, 0, topic, &metadata, timeoutMilliseconds)
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(
                "cannot reach the Kafka brokers within \(timeoutMilliseconds / 1000) s: \(KafkaConf.errorText(error))",
                code: error.rawValue)
        }
    }

    /// Queues one message (copied); `partition` nil lets librdkafka choose.
    package func send(_ payload: UnsafeRawBufferPointer, partition: Int32? = nil, key: [UInt8]? = nil) throws {
        while true {
            let result = key.withUnsafeBufferPointerOrNil { keyBytes in
                rd_kafka_produce(
                    topic, partition ?? RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                    UnsafeMutableRawPointer(mutating: payload.baseAddress), payload.count,
                    keyBytes?.baseAddress, keyBytes?.count ?? 0, nil)
            }
            if result == 0 { return }
            let error = rd_kafka_last_error()
            if error == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                rd_kafka_poll(handle, 100)
                continue
            }
            throw KafkaError("produce failed: \(KafkaConf.errorText(error))", code: error.rawValue)
        }
    }

    package func send(_ text: String, partition: Int32? = nil) throws {
        var copy = text
        try copy.withUTF8 { try send(UnsafeRawBufferPointer($0), partition: partition) }
    }

    /// Waits until every queued message is acknowledged.
    package func flush(timeoutMilliseconds: Int32 = 30_000) throws {
        let error = rd_kafka_flush(handle, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError("flush failed: \(KafkaConf.errorText(error))", code: error.rawValue, isRetriable: true)
        }
    }

    deinit {
        rd_kafka_flush(handle, 5000)
        rd_kafka_topic_destroy(topic)
        KafkaConf.destroy(handle)
    }
}

extension Optional where Wrapped == [UInt8] {
    func withUnsafeBufferPointerOrNil<R>(_ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        switch self {
        case .none: body(nil)
        case .some(let array): array.withUnsafeBufferPointer { body($0) }
        }
    }
}
