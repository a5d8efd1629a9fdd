#!/usr/bin/env bash
# The connections-and-memory soak of issue 16 (too heavy for `make test`): a release build, then
# 2,000 idle connections, a slow-loris client and 64 concurrent 100 MB Stream Loads; SELECT 1 must
# answer within 1 s and the server's RSS stay under the load memory budget plus a base.
# SOAK_LOADS, SOAK_LOAD_MB, SOAK_IDLE, SOAK_BUDGET_BYTES change the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product sluice
python3 scripts/soak_connections.py
