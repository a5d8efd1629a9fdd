#!/usr/bin/env bash
# Stream Load examples against a running Sluice (make run, or sluice serve) — the same commands
# work against StarRocks. Usage: examples/stream-load/stream-load.sh [port]
set -euo pipefail
cd "$(dirname "$0")"
port=${1:-8030}
base="http://127.0.0.1:$port"
sql() { curl -sf -u root: -X POST -d "{\"query\": \"$1\"}" "$base/api/v1/catalogs/default_catalog/sql" >/dev/null; }

sql "CREATE DATABASE IF NOT EXISTS example"
sql "CREATE TABLE IF NOT EXISTS example.events (event_id BIGINT NOT NULL, user_id INT, event_time DATETIME, event_date DATE, country VARCHAR(32), device VARCHAR(16), url VARCHAR(128), amount DECIMAL(10, 2), quantity INT, is_member BOOLEAN) DUPLICATE KEY(event_id) PARTITION BY date_trunc('day', event_date) DISTRIBUTED BY HASH(user_id) BUCKETS 2"

# CSV with a label (retrying with the same label is safe: the second answer is "Label Already Exists").
label="example-csv-$(date +%s%N)"
curl -s --location-trusted -u root: -H "label: $label" -H "column_separator: ," \
     -T events.csv "$base/api/example/events/_stream_load"

# JSON lines; fields picked with jsonpaths, a column computed with an expression, rows filtered with where.
curl -s --location-trusted -u root: -H "format: json" \
     -H 'jsonpaths: ["$.event_id", "$.user_id", "$.event_time", "$.event_date", "$.country", "$.device", "$.url", "$.amount", "$.quantity", "$.is_member"]' \
     -H "columns: event_id, user_id, event_time, event_date, c, device, url, amount, quantity, is_member, country = upper(c)" \
     -H "where: amount > 10" \
     -T events.json "$base/api/example/events/_stream_load"

# Did the first load commit? (what connectors ask after an unknown outcome)
curl -s -u root: "$base/api/example/get_load_state?label=$label"
echo
