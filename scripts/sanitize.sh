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
# Swift has no UndefinedBehaviorSanitizer on Linux (`-sanitize=undefined` is refused for this target):
# "undefined" builds every C module (CSluiceSupport, NIO's and llhttp's C code) with clang's
# -fsanitize=undefined and links the toolchain's runtime; Swift code traps on overflow by itself.
runtime="$(dirname "$(readlink -f "$(command -v swift)")")/../lib/clang"
runtime="$(ls -d "$runtime"/*/lib/linux | head -n 1)"
skip="SluiceServerTests|SimulationTests|SluiceKafkaTests"
for k in "${kinds[@]}"; do
    echo "== $k sanitizer"
    case "$k" in
    address) flags=(--sanitize=address) ;;
    undefined)
        flags=(-Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined
            -Xlinker -L"$runtime" -Xlinker -lclang_rt.ubsan_standalone-x86_64 -Xlinker -rpath -Xlinker "$runtime")
        ;;
    *) echo "unknown sanitizer $k (address, undefined, all)" >&2; exit 2 ;;
    esac
    # Swift's own crash reporter would swallow the sanitizer's report: off.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        swift test "${flags[@]}" --scratch-path ".build/sanitize-$k" --skip "$skip"
done
