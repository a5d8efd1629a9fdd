-- The README's Routine Load walkthrough over the MySQL protocol: a database, a table, a job
-- that keeps it fed from the Kafka topic `events` (CSV messages as `sluice produce
-- --generate-events` writes them), the job's state and the rows it loaded. Run it with any MySQL
-- client, e.g. (while `make run` is up, with the brokers it printed):
--   sed "s|\${KAFKA_BROKERS}|127.0.0.1:9092|" examples/mysql/routine-load-walkthrough.sql \
--     | mysql -h127.0.0.1 -P9030 -uroot
-- Tests run it through mysql, PyMySQL, mysql-connector-python and SQLAlchemy
-- (scripts/mysql/walkthrough.py).
CREATE DATABASE IF NOT EXISTS shop;

USE shop;

CREATE TABLE IF NOT EXISTS events (
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

CREATE ROUTINE LOAD shop.events_job ON events
COLUMNS TERMINATED BY ',',
COLUMNS (event_id, user_id, event_time, event_date, country, device, url, amount, quantity, is_member)
PROPERTIES ("max_batch_interval" = "5")
FROM KAFKA (
    "kafka_broker_list" = "${KAFKA_BROKERS}",
    "kafka_topic" = "events",
    "property.kafka_default_offsets" = "OFFSET_BEGINNING"
);

SHOW ROUTINE LOAD FOR shop.events_job;

SELECT count(*), count(DISTINCT country), sum(quantity) FROM events;
