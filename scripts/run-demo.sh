#!/usr/bin/env bash
# The main job, end to end: starts librdkafka's mock Kafka cluster (3 brokers, topic events:8),
# the Sluice daemon on ./data, the demo table of examples/sql/demo.sql and the Routine Load job of
# examples/routine-load/events-job.sql, then a producer writing 200 generated events per second.
# Rows arrive in demo.events every max_batch_interval (5 s). Ctrl-C stops everything cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SLUICE_BIN:-.build/release/sluice}
port=${SLUICE_SERVER_HTTP_PORT:-8030}
query_port=${SLUICE_SERVER_QUERY_PORT:-9030}
data=${SLUICE_DATA_DIR:-data}
rate=${DEMO_RATE:-200}
pids=()
cleanup() {
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 0' INT TERM

echo "== starting the mock Kafka cluster (3 brokers, topic events with 8 partitions)"
mkdir -p "$data"
"$bin" kafka-mock --brokers 3 --topic events:8 > "$data/kafka-mock.out" 2>&1 </dev/null &
pids+=($!)
for _ in $(seq 1 100); do grep -q "bootstrap servers" "$data/kafka-mock.out" 2>/dev/null && break; sleep 0.1; done
brokers=$(sed -n 's/^bootstrap servers: //p' "$data/kafka-mock.out")
echo "   brokers: $brokers"

echo "== starting sluice serve on 127.0.0.1:$port, MySQL protocol on $query_port (data in $data/)"
"$bin" serve --config config/sluice.json --data-dir "$data" --http-port "$port" --query-port "$query_port" &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done

echo "== loading examples/sql/demo.sql (100,000 rows)"
"$bin" sql --port "$port" "CREATE DATABASE IF NOT EXISTS demo" >/dev/null
"$bin" sql --port "$port" -d demo "STOP ROUTINE LOAD FOR events_from_kafka" >/dev/null 2>&1 || true
while IFS= read -r statement; do
    [ -n "$statement" ] || continue
    "$bin" sql --port "$port" -d demo "$statement" >/dev/null
done < <(python3 scripts/split-sql.py examples/sql/demo.sql)

echo "== creating the Routine Load job (examples/routine-load/events-job.sql)"
sed "s|\${KAFKA_BROKERS}|$brokers|" examples/routine-load/events-job.sql | grep -v '^--' | "$bin" sql --port "$port" >/dev/null

echo "== producing $rate events/s to topic events (event_id from 1,000,001)"
"$bin" produce --brokers "$brokers" --topic events --partitions 8 --generate-events 100000000 --start-id 1000001 \
    --rate "$rate" >/dev/null &
pids+=($!)

sleep 7
echo "== rows arrived from Kafka so far:"
"$bin" sql --port "$port" -d demo "SELECT count(*) AS from_kafka, max(event_id) FROM events WHERE event_id > 1000000"
echo "== Stream Load of examples/stream-load/events.csv into demo.events (README):"
curl -s --location-trusted -u root: -H "column_separator:," \
    -T examples/stream-load/events.csv "http://127.0.0.1:$port/api/demo/events/_stream_load" | grep '"Status"'
if command -v mysql >/dev/null 2>&1; then
    echo "== the same over the MySQL protocol (README): mysql -h127.0.0.1 -P$query_port -uroot demo"
    mysql -h127.0.0.1 -P"$query_port" -uroot demo -e "SHOW ROUTINE LOAD; SELECT count(*) FROM events" \
        | cut -c1-100
fi
cat <<MSG

Sluice is consuming Kafka into demo.events (user root, empty password). Try:
  $bin sql --port $port -d demo "SELECT count(*) FROM events WHERE event_id > 1000000"
  $bin sql --port $port -d demo "SHOW ROUTINE LOAD FOR events_from_kafka"
  $bin sql --port $port -d demo "SHOW ROUTINE LOAD TASK WHERE JobName = 'events_from_kafka'"
  $bin sql --port $port -d demo "PAUSE ROUTINE LOAD FOR events_from_kafka"
  mysql -h127.0.0.1 -P$query_port -uroot demo -e "SHOW ROUTINE LOAD; SELECT count(*) FROM events"
  sed "s|\\\${KAFKA_BROKERS}|$brokers|" examples/mysql/routine-load-walkthrough.sql | mysql -h127.0.0.1 -P$query_port -uroot
Press Ctrl-C to stop.
MSG
while true; do sleep 5; done
