-- A Routine Load job that keeps demo.events fed from the Kafka topic `events` (CSV messages,
-- one event per message, as `sluice produce --generate-events` writes them).
-- ${KAFKA_BROKERS} is replaced by the broker list (scripts/run-demo.sh and the tests do it).
CREATE ROUTINE LOAD demo.events_from_kafka ON events
COLUMNS TERMINATED BY ',',
COLUMNS (event_id, user_id, event_time, event_date, country, device, url, amount, quantity, is_member)
PROPERTIES (
    "max_batch_interval" = "5",
    "max_error_number" = "100"
)
FROM KAFKA (
    "kafka_broker_list" = "${KAFKA_BROKERS}",
    "kafka_topic" = "events",
    "property.kafka_default_offsets" = "OFFSET_BEGINNING"
);
