-- Change data capture into a PRIMARY KEY table: Debezium change events (JSON, one per Kafka
-- message, keyed by the row's primary key as Debezium does by default) keep demo.customers equal
-- to the source table. "envelope" = "debezium" unwraps each event: c, r and u upsert the `after`
-- row, d deletes the `before` row's key, and the tombstone after a delete is skipped.
-- ${KAFKA_BROKERS} is replaced by the broker list (the tests do it).
CREATE TABLE customers (
    id BIGINT NOT NULL,
    name VARCHAR(64) NULL,
    email VARCHAR(128) NULL
) PRIMARY KEY (id)
DISTRIBUTED BY HASH(id) BUCKETS 4;

CREATE ROUTINE LOAD demo.customers_cdc ON customers
COLUMNS (id, name, email)
PROPERTIES (
    "format" = "json",
    "envelope" = "debezium",
    "max_batch_interval" = "5"
)
FROM KAFKA (
    "kafka_broker_list" = "${KAFKA_BROKERS}",
    "kafka_topic" = "customers.cdc",
    "property.kafka_default_offsets" = "OFFSET_BEGINNING"
);
