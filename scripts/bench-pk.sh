#!/usr/bin/env bash
# Primary Key benchmark: a 5,000,000-row events file loaded into a PRIMARY KEY table keyed by
# event_id, then a second file updating 50% of the keys and adding as many new ones, against
# DuckDB's INSERT OR REPLACE into a table with the same PRIMARY KEY (threads=1 and 2), in the same
# run; plus the PK load against the DUPLICATE KEY load of the same file, the primary index's
# bytes per key, and GROUP BY on the PK table against a DUPLICATE table of the same rows.
# Writes docs/benchmarks-pk.md. Usage: scripts/bench-pk.sh [rows]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install -q duckdb
[ -x .build/release/sluice ] || swift build -c release
exec python3 scripts/bench_pk.py "${1:-5000000}"
