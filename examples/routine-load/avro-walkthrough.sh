#!/usr/bin/env bash
# Avro with a schema registry, end to end on one machine (docs/routine-load.md, "Avro"): the embedded
# mock Kafka cluster, a small Confluent Schema Registry (scripts/avro/schema-registry.py), a Sluice
# server running examples/routine-load/avro-job.sql, and 1,000 events written as Confluent Avro by
# fastavro (scripts/avro/avro-produce.py registers the schema and frames each message).
# Usage: examples/routine-load/avro-walkthrough.sh   (SLUICE=path/to/sluice; default: swift build's)
# Needs python3 with fastavro (scripts/install-deps.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."
sluice="${SLUICE:-.build/debug/sluice}"
[ -x "$sluice" ] || { echo "build first (swift build) or set SLUICE=path/to/sluice" >&2; exit 1; }
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# 1. Kafka: the embedded mock cluster with topic avro_events (4 partitions).
"$sluice" kafka-mock --topic avro_events:4 > "$work/kafka.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do grep -q '^bootstrap servers:' "$work/kafka.log" && break; sleep 0.1; done
brokers="$(sed -n 's/^bootstrap servers: //p' "$work/kafka.log")"
echo "== Kafka (mock): $brokers"

# 2. The schema registry, requiring Basic auth (user "reader", password "s3cret").
python3 scripts/avro/schema-registry.py --user reader --password s3cret > "$work/registry.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do grep -q '^listening on' "$work/registry.log" && break; sleep 0.1; done
registry="http://reader:s3cret@127.0.0.1:$(sed -n 's/^listening on //p' "$work/registry.log")"
echo "== schema registry: ${registry/reader:s3cret@/}"

# 3. Sluice, the table and the job.
"$sluice" serve --data-dir "$work/data" --http-port 0 --query-port 0 > "$work/sluice.log" 2>&1 & pids+=($!)
for _ in $(seq 300); do grep -q 'port=[0-9]' "$work/sluice.log" && break; sleep 0.1; done
port="$(grep -o 'port=[0-9]*' "$work/sluice.log" | head -n 1 | cut -d= -f2)"
sql() { "$sluice" sql --port "$port" "$@"; }
sql "CREATE DATABASE demo" > /dev/null
sed -e "s|\${KAFKA_BROKERS}|$brokers|" -e "s|\${SCHEMA_REGISTRY}|$registry|" examples/routine-load/avro-job.sql \
    > "$work/avro-job.sql"
sql -d demo -f "$work/avro-job.sql" > /dev/null
echo "== job created: demo.avro_events_from_kafka"

# 4. 1,000 events as Confluent Avro: the schema registered, each record framed (magic byte, schema id).
python3 scripts/avro/avro-produce.py --registry "$registry" --subject avro_events-value --generate-events 1000 \
    | "$sluice" produce --hex --brokers "$brokers" --topic avro_events --partitions 4

# 5. Rows become visible; SHOW ROUTINE LOAD shows the registry without its credentials.
for _ in $(seq 300); do
    rows="$(sql -d demo "SELECT count(*) FROM avro_events" | tr -dc '0-9')"
    [ "$rows" = "1000" ] && break
    sleep 0.2
done
echo "== rows visible: $rows"
sql -d demo "SELECT event_id, device, amount, is_member FROM avro_events ORDER BY event_id LIMIT 3"
sql -d demo "SHOW ROUTINE LOAD FOR avro_events_from_kafka" | grep -o '"confluent.schema.registry.url":"[^"]*"'
[ "$rows" = "1000" ] && echo "all 1000 Avro events loaded"
