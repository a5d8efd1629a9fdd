#!/usr/bin/env bash
# /livez latency while 16 large Stream Loads run (issue 12: p99 ≤ 50 ms). Prints one JSON line.
# Usage: scripts/bench-livez.sh [loads] [rows_per_load]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .build/release/sluice ] || swift build -c release
exec python3 scripts/bench_livez.py "${1:-16}" "${2:-1000000}"
