#ifndef SLUICE_SUPPORT_H
#define SLUICE_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// 1 when the CPU has the SSE4.2 CRC32 instruction (x86-64), else 0.
int sluice_crc32c_hardware_available(void);

/// CRC-32C update of `length` bytes with the CPU's CRC32 instruction. `crc` is the raw register
/// value (callers invert before and after). Only call when sluice_crc32c_hardware_available().
uint32_t sluice_crc32c_hardware(uint32_t crc, const void *data, size_t length);

/// glibc malloc tuning (mallopt): blocks up to `mmap_threshold` bytes come from the heap and
/// are reused; the heap is trimmed once `trim_threshold` bytes are free at its top; at most
/// `arena_max` arenas (0 leaves glibc's default of 8 per core).
void sluice_tune_malloc(int mmap_threshold, int trim_threshold, int arena_max);

/// Finds the bytes equal to `a` or `b` in data[0..<length] (a CSV scanner's separators and row
/// delimiters), 64 bytes per step with SSE2 on x86-64. Writes their offsets to `positions` and
/// returns how many it wrote; stops early so as never to write more than `capacity` entries and
/// reports in `*examined` how many bytes of `data` it looked at (every match below it is listed).
size_t sluice_find_either(const uint8_t *data, size_t length, uint8_t a, uint8_t b, uint32_t *positions,
                          size_t capacity, size_t *examined);

/// The lowest usable address of the calling thread's stack (0 when unknown), cached per thread.
/// Recursive code compares a local's address against it to stop before overflowing.
uintptr_t sluice_stack_low_bound(void);

/// Lowers the calling thread's CPU priority by `nice_increment` (Linux: setpriority on its thread
/// id), once per thread; later calls on the same thread do nothing. Returns 0 or -1 (errno set).
/// Unprivileged threads cannot raise their priority again, so only threads that go on doing
/// background work should call it.
int sluice_enter_background(int nice_increment);

#endif
