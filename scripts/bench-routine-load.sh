#!/usr/bin/env bash
# Routine Load benchmark: 2,000,000 generated events CSV messages pre-produced into a 64-partition
# topic of the mock Kafka cluster, consumed end to end by Sluice (release build) and, in the same
# run, by kcat and by a Python pipeline (confluent-kafka, 100k-message batches into DuckDB);
# then produce->visible latency at 50,000 messages/s. Writes docs/benchmarks-routine-load.md.
# Usage: scripts/bench-routine-load.sh [messages] [latency_rate] [latency_seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install -q duckdb
python3 -c "import confluent_kafka" 2>/dev/null || python3 -m pip install -q confluent-kafka
command -v kcat >/dev/null || { echo "kcat is missing: run scripts/install-deps.sh" >&2; exit 1; }
[ -x .build/release/sluice ] || swift build -c release
exec python3 scripts/bench_routine_load.py "${1:-2000000}" "${2:-50000}" "${3:-20}"
