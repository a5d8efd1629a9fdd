#!/usr/bin/env bash
# The scale-out soak of issue 17 (too long for `make test`): the design note's layout (mock
# Kafka in its own process, one sink, three to five daemons) under steady production while a
# seeded generator injects one fault after another — kill -9 and restart a daemon, SIGSTOP one
# past its session timeout, kill -9 the sink, lost assignments, a broker outage, members joining
# and leaving — on both sink tiers, then the crash loop with more rounds; every run ends with
# invariants I1–I6.
#   SOAK_SECONDS (default 1800) per tier; SLUICE_SEED replays a run (the seed is printed);
#   SOAK_CRASH_LOOP_ROUNDS (default 50).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
SLUICE_SOAK_SECONDS="${SOAK_SECONDS:-1800}" swift test --skip-build --filter randomisedFaultsSoak
SLUICE_CRASH_LOOP_ROUNDS="${SOAK_CRASH_LOOP_ROUNDS:-50}" swift test --skip-build \
    --filter aCrashLoopingDaemonLeavesBoundedLeftoversAndLoadsOnce
