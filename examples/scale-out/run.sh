#!/usr/bin/env bash
# Scale-out on one machine (docs/scale-out.md): the embedded mock Kafka cluster, one Sluice sink
# and three daemons in one consumer group. Shows rows arriving, each daemon's share of the six
# partitions, and the partitions moving when a daemon stops; ends with every message loaded once.
# Usage: examples/scale-out/run.sh   (SLUICE=path/to/sluice to pick a binary; default: swift build's)
set -euo pipefail
cd "$(dirname "$0")/../.."
sluice="${SLUICE:-.build/debug/sluice}"
[ -x "$sluice" ] || { echo "build first (swift build) or set SLUICE=path/to/sluice" >&2; exit 1; }
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Waits for a server's "port=NNNN" log line and prints the port.
port_of() { for _ in $(seq 300); do
    p="$(grep -o 'port=[0-9]*' "$1" | head -n 1 | cut -d= -f2 || true)"; [ -n "$p" ] && { echo "$p"; return; }
    sleep 0.1; done; echo "no port in $1" >&2; exit 1; }

# 1. Kafka: the embedded mock cluster, topic "events" with 6 partitions (control lines on its stdin).
mkfifo "$work/kafka.in"
"$sluice" kafka-mock --topic events:6 < "$work/kafka.in" > "$work/kafka.log" 2>&1 & pids+=($!)
exec 3> "$work/kafka.in"
for _ in $(seq 100); do grep -q '^bootstrap servers:' "$work/kafka.log" && break; sleep 0.1; done
brokers="$(sed -n 's/^bootstrap servers: //p' "$work/kafka.log")"
echo "== Kafka (mock): $brokers"

# 2. The sink: one Sluice node holding db.events.
"$sluice" serve --data-dir "$work/sink" --http-port 0 --query-port 0 > "$work/sink.log" 2>&1 & pids+=($!)
sink="$(port_of "$work/sink.log")"
sql() { curl -sf -u root: -X POST -d "{\"query\": \"$1\"}" "http://127.0.0.1:$sink/api/v1/catalogs/default_catalog/sql"; }
sql "CREATE DATABASE db" > /dev/null
sql "CREATE TABLE db.events (p INT, seq INT, id VARCHAR(32)) DUPLICATE KEY(p) DISTRIBUTED BY HASH(p) BUCKETS 2" > /dev/null
echo "== sink: http://127.0.0.1:$sink"

# 3. Three daemons, the same job, each with a sink (remote-sink mode).
job="CREATE ROUTINE LOAD db.sl_job ON events PROPERTIES (\\\"format\\\"=\\\"json\\\") FROM KAFKA (\\\"kafka_broker_list\\\"=\\\"$brokers\\\", \\\"kafka_topic\\\"=\\\"events\\\", \\\"property.kafka_default_offsets\\\"=\\\"OFFSET_BEGINNING\\\")"
declare -A daemon_pid daemon_port
for d in d1 d2 d3; do
    cat > "$work/$d.json" <<JSON
{"sink": {"url": "http://127.0.0.1:$sink", "user": "root", "password": "", "api": "sluice",
          "daemon_name": "$d", "interval_per_member_ms": 100, "session_timeout_ms": 6000},
 "routine_load": {"jobs": ["$job"], "test_batch_interval_ms": 300}}
JSON
    "$sluice" serve --data-dir "$work/$d" --http-port 0 --query-port 0 --config "$work/$d.json" > "$work/$d.log" 2>&1 &
    daemon_pid[$d]=$!; pids+=($!)
    daemon_port[$d]="$(port_of "$work/$d.log")"
    echo "== daemon $d: http://127.0.0.1:${daemon_port[$d]}"
done

# 4. Messages {"p":…,"seq":…,"id":"p-seq"}, round-robin over the partitions.
produce() { # first count
    for ((n = $1; n < $1 + $2; n++)); do echo "{\"p\":$((n % 6)),\"seq\":$((n / 6)),\"id\":\"$((n % 6))-$((n / 6))\"}"; done \
        | "$sluice" produce --brokers "$brokers" --topic events --partitions 6 > /dev/null
}
count() { sql "SELECT count(*), count(DISTINCT id) FROM db.events" | grep -o '"data":\[[^]]*\]' | tr -dc '0-9,' ; }
owned() { curl -sf "http://127.0.0.1:${daemon_port[$1]}/metrics" | sed -n 's/^sluice_routine_load_partitions_owned{job="db.sl_job"} //p' | cut -d. -f1; }
show() { # label expected-total
    for _ in $(seq 600); do
        c="$(count)"; line="rows,distinct=$c"
        for d in "${!daemon_port[@]}"; do line="$line  $d owns $(owned "$d" || echo -)"; done
        echo "$1: $line"
        [ "$c" = "$2,$2" ] && return 0
        sleep 0.5
    done
    echo "timed out waiting for $2 rows" >&2; exit 1
}
produce 0 6000
show "loading" 6000

# 5. d2 leaves (SIGTERM: it commits its batch in flight, then the group moves its partitions).
kill -TERM "${daemon_pid[d2]}"; wait "${daemon_pid[d2]}" || true
unset 'daemon_port[d2]'
echo "== d2 left"
produce 6000 1200
show "after d2 left" 7200
for _ in $(seq 100); do [ "$(owned d1)" -gt 0 ] && [ $(( $(owned d1) + $(owned d3) )) -eq 6 ] && break; sleep 0.2; done
echo "d1 owns $(owned d1), d3 owns $(owned d3) of 6 partitions"

# 6. The sink's view: one committed interval per partition, no fencing needed.
curl -sf -u root: "http://127.0.0.1:$sink/api/db/_source_progress?job=sl_job"; echo
echo "all 7200 rows loaded once"
