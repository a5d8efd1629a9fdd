#!/usr/bin/env bash
# The Stream Load transaction interface (two-phase commit) against a running Sluice:
# begin, two loads, prepare (durable, invisible), commit (visible). Usage: transaction.sh [port]
set -euo pipefail
cd "$(dirname "$0")"
port=${1:-8030}
base="http://127.0.0.1:$port"
label="example-txn-$(date +%s%N)"
txn() { curl -s -u root: -H "label: $label" -H "db: example" -H "table: events" "$@"; }

curl -sf -u root: -X POST -d '{"query": "CREATE DATABASE IF NOT EXISTS example"}' "$base/api/v1/catalogs/default_catalog/sql" >/dev/null
curl -sf -u root: -X POST -d "{\"query\": \"CREATE TABLE IF NOT EXISTS example.events (event_id BIGINT NOT NULL, user_id INT, event_time DATETIME, event_date DATE, country VARCHAR(32), device VARCHAR(16), url VARCHAR(128), amount DECIMAL(10, 2), quantity INT, is_member BOOLEAN) DUPLICATE KEY(event_id) PARTITION BY date_trunc('day', event_date) DISTRIBUTED BY HASH(user_id) BUCKETS 2\"}" \
    "$base/api/v1/catalogs/default_catalog/sql" >/dev/null

txn -X POST "$base/api/transaction/begin"
txn -H "column_separator: ," -T events.csv "$base/api/transaction/load"
txn -H "format: json" -T events.json "$base/api/transaction/load" || true   # different headers: refused
txn -X POST "$base/api/transaction/prepare"
curl -s -u root: "$base/api/example/get_load_state?label=$label"; echo
txn -X POST "$base/api/transaction/commit"
curl -s -u root: "$base/api/example/get_load_state?label=$label"; echo
