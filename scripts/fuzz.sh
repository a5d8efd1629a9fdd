#!/usr/bin/env bash
# Runs a libFuzzer entry point: scripts/fuzz.sh TARGET SECONDS, or scripts/fuzz.sh all SECONDS.
# TARGET: FuzzSQLParser, FuzzExpression, FuzzCSV, FuzzJSON, FuzzJSONPath, FuzzStreamLoadHeaders,
# FuzzMySQLPacket, FuzzJournal, FuzzSegment, FuzzAvro, FuzzParquet (sources in Fuzz/, seeds in
# Fuzz/corpus/TARGET). Builds in .build/fuzz with -sanitize=fuzzer; a finding (crash, hang
# past 30 s, RSS past 2 GiB) fails the run and leaves the input as .build/fuzz/findings/*.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh TARGET|all SECONDS}"
seconds="${2:?usage: scripts/fuzz.sh TARGET|all SECONDS}"
all=(FuzzSQLParser FuzzExpression FuzzCSV FuzzJSON FuzzJSONPath FuzzStreamLoadHeaders FuzzMySQLPacket FuzzJournal
    FuzzSegment FuzzAvro FuzzParquet)
if [ "$target" = all ]; then targets=("${all[@]}"); else targets=("$target"); fi
scratch=.build/fuzz
mkdir -p "$scratch/findings"
for t in "${targets[@]}"; do
    SLUICE_FUZZ=1 swift build -c release --scratch-path "$scratch" --product "$t" -Xswiftc -sanitize=fuzzer -Xswiftc -g
done
bin="$(SLUICE_FUZZ=1 swift build -c release --scratch-path "$scratch" --show-bin-path)"
for t in "${targets[@]}"; do
    work="$(mktemp -d)"
    cp Fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
    echo "fuzzing $t for ${seconds}s"
    log="$scratch/$t.log"
    # Swift's own crash reporter would exit before libFuzzer saves the input: off. A unit gets 30 s
    # of wall time: on a loaded 2-core machine a fast input was seen stalled 17 s by scheduling alone.
    if ! SWIFT_BACKTRACE=enable=no "$bin/$t" "$work" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
        -max_len=65536 -artifact_prefix="$scratch/findings/$t-" -print_final_stats=1 >"$log" 2>&1; then
        grep -v -e '^#[0-9]' -e NEW_FUNC "$log" | tail -n 40 >&2
        rm -rf "$work"
        echo "fuzz: $t found a problem; the input is under $scratch/findings/, the log is $log" >&2
        exit 1
    fi
    grep -e '^Done' -e 'stat::number_of_executed_units' -e 'stat::peak_rss_mb' "$log"
    rm -rf "$work"
done
