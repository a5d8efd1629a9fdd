#!/usr/bin/env bash
# Scale-out benchmark (issue 17): 2,000,000 generated events pre-produced into a 64-partition
# topic of the mock Kafka cluster, loaded into one Sluice sink through 1, 2 and 3 remote-sink
# daemons (one consumer group each run), reporting rows/s and CPU per row (daemons, sink); then
# produce->visible latency at 20,000 messages/s with 3 daemons beside 1. Release build.
# Writes docs/benchmarks-scale-out.md.
# Usage: scripts/bench-scale-out.sh [messages] [latency_rate] [latency_seconds] [api]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install -q duckdb
python3 -c "import confluent_kafka" 2>/dev/null || python3 -m pip install -q confluent-kafka
command -v kcat >/dev/null || { echo "kcat is missing: run scripts/install-deps.sh" >&2; exit 1; }
swift build -c release --product sluice
exec python3 scripts/bench_scale_out.py "${1:-2000000}" "${2:-20000}" "${3:-20}" "${4:-sluice}"
