#!/usr/bin/env bash
# Avro Routine Load benchmark (issue 18): 2,000,000 events as Confluent-framed Avro and as CSV in two
# 64-partition topics of the mock Kafka cluster; Sluice (release build) loads each until visible, and in
# the same run a Python pipeline (confluent-kafka + fastavro schemaless_reader + DuckDB, 100k-message
# batches) loads the Avro topic. Writes docs/benchmarks-avro.md.
# Usage: scripts/bench-avro.sh [messages]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install -q duckdb
python3 -c "import confluent_kafka" 2>/dev/null || python3 -m pip install -q confluent-kafka
python3 -c "import fastavro" 2>/dev/null || python3 -m pip install -q fastavro
swift build -c release --product sluice
exec python3 scripts/bench_avro.py "${1:-2000000}"
