#!/usr/bin/env bash
# Runs the unit and in-process test suites under a sanitizer: scripts/sanitize.sh address|undefined|all
# (AddressSanitizer: out-of-bounds, use-after-free, leaks of unsafe buffers; UndefinedBehaviorSanitizer:
# misaligned loads, bad shifts and the like in the C helpers and unsafe Swift). Builds in
# .build/sanitize-KIND; suites that start server processes, simulate crash sweeps or need Kafka are
# skipped (they run the same code paths unsanitized in `make test`). A report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:?usage: scripts/sanitize.sh address|undefined|all}"
if [ "$kind" = all ]; then kinds=(address undefined); else kinds=("$kind"); fi
for k in "${kinds[@]}"; do
    echo "== $k sanitizer"
    # Swift's own crash reporter would swallow the sanitizer's report: off.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        swift test --sanitize="$k" --scratch-path ".build/sanitize-$k" \
        --skip "SluiceServerTests|SimulationTests|SluiceKafkaTests"
done
