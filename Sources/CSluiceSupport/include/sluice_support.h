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
/// are reused; the heap is trimmed once `trim_threshold` bytes are free at its top.
void sluice_tune_malloc(int mmap_threshold, int trim_threshold);

#endif
