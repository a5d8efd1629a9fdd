#!/usr/bin/env bash
# The long exactly-once chaos run: ≥ 50 SIGKILLs (random moments and named fault points),
# ≥ 10 broker faults, ≥ 3 rewinds to OFFSET_BEGINNING, Stream Loads with retried labels, then the
# exactly-once checks and fsck. Regenerates docs/chaos-results.md.
# Usage: scripts/chaos.sh [rounds (default 60)] [messages per round (default 1000)]; SLUICE_SEED=<n> replays a run.
set -euo pipefail
cd "$(dirname "$0")/.."
export SLUICE_CHAOS_ROUNDS=${1:-60}
export SLUICE_CHAOS_MESSAGES=${2:-1000}
export SLUICE_CHAOS_REPORT="$PWD/docs/chaos-results.md"
swift build --build-tests
exec swift test --skip-build --filter ChaosTests
