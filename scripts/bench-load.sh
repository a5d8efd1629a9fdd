#!/usr/bin/env bash
# Stream Load benchmark: a deterministic events dataset (5,000,000 CSV rows, 1,000,000 JSON lines)
# loaded with curl into Sluice (release build) and with DuckDB (threads=1 and 2) in the same run,
# plus the server's peak RSS while streaming a ~2 GB CSV body. Writes docs/benchmarks-load.md.
# Usage: scripts/bench-load.sh [csv_rows] [json_rows]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install -q duckdb
[ -x .build/release/sluice ] || swift build -c release
exec python3 scripts/bench_load.py "${1:-5000000}" "${2:-1000000}"
