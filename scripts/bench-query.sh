#!/usr/bin/env bash
# Query benchmark: the same 5,000,000-row events table in Sluice (release build) and DuckDB,
# `SELECT country, count(*), sum(amount) … GROUP BY country` timed in both, in one run.
# Usage: scripts/bench-query.sh [rows]   (writes docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install -q duckdb
[ -x .build/release/sluice ] || swift build -c release
exec python3 scripts/bench_query.py "${1:-5000000}"
