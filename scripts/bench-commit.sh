#!/usr/bin/env bash
# Commit throughput (group commit): 64 clients × 20 single-row INSERTs, then 64 × 20 one-row
# Stream Loads, against the release server, plus single-commit latency; then the in-process
# commit benchmark (sluice-bench commit). Prints JSON lines.
# Usage: scripts/bench-commit.sh [clients] [commits_per_client]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install -q duckdb
[ -x .build/release/sluice ] || swift build -c release
python3 scripts/bench_commit.py "${1:-64}" "${2:-20}"
# In process, without HTTP and SQL: group commit off and on, side by side, on this disk and with
# fsyncs made 2 and 5 ms slower (a disk without a power-loss-protected cache).
[ -x .build/release/sluice-bench ] || swift build -c release --product sluice-bench
.build/release/sluice-bench commit --clients "${1:-64}" --commits "${2:-20}" --sync-delays 0,2,5 --directory "${BENCH_DIR:-/tmp}"
