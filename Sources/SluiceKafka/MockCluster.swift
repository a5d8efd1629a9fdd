import CRdKafka

/// librdkafka's embedded mock Kafka cluster (development broker, tests).
///
/// Brokers listen on 127.0.0.1 ephemeral ports for as long as this object lives; other processes
/// (kcat, `sluice produce`, the daemon) reach it through ``bootstrapServers``. It keeps only about
/// 5 MiB or 100,000 message sets per partition (librdkafka 2.0.2): use many partitions for big runs.
package final class MockCluster: @unchecked Sendable {
    // @unchecked: the handles are only used through librdkafka's thread-safe mock API.
    private let handle: OpaquePointer
    private let cluster: OpaquePointer
    package let bootstrapServers: String

    /// Starts `brokers` mock brokers.
    package init(brokers: Int) throws {
        handle = try KafkaConf.client(RD_KAFKA_PRODUCER, ["log_level": "3"])
        guard let cluster = rd_kafka_mock_cluster_new(handle, Int32(brokers)) else {
            KafkaConf.destroy(handle)
            throw KafkaError("cannot start the mock cluster")
        }
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// Creates a topic with `partitions` partitions.
    package func createTopic(_ name: String, partitions: Int, replication: Int = 1) throws {
        let error = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replication))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError("cannot create topic \(name): \(KafkaConf.errorText(error))", code: error.rawValue)
        }
    }

    /// Takes a broker down (connections refused) or brings it back.
    package func setBroker(_ id: Int32, up: Bool) {
        _ = up ? rd_kafka_mock_broker_set_up(cluster, id) : rd_kafka_mock_broker_set_down(cluster, id)
    }

    /// Makes the next `errors.count` requests of `apiKey` (cluster-wide) fail with these errors,
    /// in order (`RD_KAFKAP_Heartbeat` with ILLEGAL_GENERATION: every member loses its partitions).
    package func pushRequestErrors(apiKey: Int16, _ errors: [Int32]) {
        var codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        rd_kafka_mock_push_request_errors_array(cluster, apiKey, codes.count, &codes)
    }

    /// Adds `milliseconds` of round-trip time to a broker's answers.
    package func setRoundTripTime(_ id: Int32, milliseconds: Int32) {
        _ = rd_kafka_mock_broker_set_rtt(cluster, id, milliseconds)
    }

    /// Pins the coordinator of a consumer group (`group`) to a broker.
    package func setGroupCoordinator(_ group: String, broker: Int32) {
        _ = rd_kafka_mock_coordinator_set(cluster, "group", group, broker)
    }

    /// Pins a partition's leader (deterministic broker-fault tests).
    package func setLeader(topic: String, partition: Int32, broker: Int32) {
        _ = rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker)
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        KafkaConf.destroy(handle)
    }
}
