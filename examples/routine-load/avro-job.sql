-- A Routine Load job reading Confluent-framed Avro (the events schema of
-- scripts/avro/avro-produce.py) from the Kafka topic `avro_events`, writer schemas fetched from a
-- Confluent Schema Registry by the id in each message. Fields are matched to columns by name.
-- ${KAFKA_BROKERS} and ${SCHEMA_REGISTRY} are replaced by examples/routine-load/avro-walkthrough.sh
-- (and the tests). Credentials go in the URL (http://user:password@host:port); SHOW never shows them.
CREATE TABLE avro_events (
    event_id   BIGINT NOT NULL,
    user_id    INT,
    event_time DATETIME,
    event_date DATE,
    country    VARCHAR(32),
    device     VARCHAR(16),
    url        VARCHAR(128),
    amount     DECIMAL(10, 2),
    quantity   INT,
    is_member  BOOLEAN
) DUPLICATE KEY(event_id)
DISTRIBUTED BY HASH(event_id) BUCKETS 4;

CREATE ROUTINE LOAD demo.avro_events_from_kafka ON avro_events
PROPERTIES (
    "format" = "avro",
    "max_batch_interval" = "5",
    "max_error_number" = "100"
)
FROM KAFKA (
    "kafka_broker_list" = "${KAFKA_BROKERS}",
    "kafka_topic" = "avro_events",
    "confluent.schema.registry.url" = "${SCHEMA_REGISTRY}",
    "property.kafka_default_offsets" = "OFFSET_BEGINNING"
);
