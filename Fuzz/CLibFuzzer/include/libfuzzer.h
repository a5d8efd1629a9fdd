#ifndef SLUICE_LIBFUZZER_H
#define SLUICE_LIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer): parses libFuzzer's flags from
/// argv and runs `callback` on every input. SwiftPM names an executable's entry point
/// `<Target>_main`, so each fuzz target calls this from there.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// Runs libFuzzer's driver with the process arguments: the body of each target's `<Target>_main`.
int sluice_fuzz_main(int argc, char **argv, int (*callback)(const uint8_t *data, size_t size));

#endif
