// Declarations only (include/libfuzzer.h); the symbols come from libFuzzer.
