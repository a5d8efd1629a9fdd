#!/usr/bin/env bash
# Commit throughput (group commit): 64 clients × 20 single-row INSERTs, then 64 × 20 one-row
# Stream Loads, against the release server, plus single-commit latency. Prints one JSON line.
# Usage: scripts/bench-commit.sh [clients] [commits_per_client]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install -q duckdb
[ -x .build/release/sluice ] || swift build -c release
exec python3 scripts/bench_commit.py "${1:-64}" "${2:-20}"
