#!/usr/bin/env bash
# File-load benchmark: the events data (5,000,000 rows) as Parquet (snappy) and CSV, on local disk
# and on an S3-compatible server, loaded by Broker Load into Sluice (release build) and by DuckDB
# (threads=1 and 2) in the same run. Writes docs/benchmarks-files.md.
# Usage: scripts/bench-files.sh [rows]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install -q duckdb
[ -x .build/release/sluice ] || swift build -c release --product sluice
exec python3 scripts/bench_files.py "${1:-5000000}"
