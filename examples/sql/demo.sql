-- The demo dataset of `make run`: an events table, partitioned by day and bucketed by user,
-- filled with 100,000 generated rows. Run with `sluice sql -d demo` statement by statement
-- (scripts/run-demo.sh does), after `CREATE DATABASE demo`.
DROP TABLE IF EXISTS events;

CREATE TABLE events (
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
PARTITION BY date_trunc('day', event_date)
DISTRIBUTED BY HASH(user_id) BUCKETS 4
PROPERTIES ("replication_num" = "1");

INSERT INTO events
SELECT generate_series,
       generate_series * 7919 % 100000,
       from_unixtime(1735689600 + generate_series * 17),
       date_trunc('day', from_unixtime(1735689600 + generate_series * 17)),
       concat('country_', generate_series % 50),
       CASE generate_series % 5 WHEN 0 THEN 'ios' WHEN 1 THEN 'android' WHEN 2 THEN 'web' WHEN 3 THEN 'tv' ELSE 'car' END,
       concat('https://example.com/p/', generate_series % 997),
       generate_series * 31 % 100000 / 100.0,
       generate_series % 10 + 1,
       generate_series % 3 = 0
FROM TABLE(generate_series(1, 100000));

SELECT count(*) FROM events;
