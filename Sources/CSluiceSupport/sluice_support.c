#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sluice_support.h"

#include <malloc.h>
#include <errno.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int sluice_crc32c_hardware_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

__attribute__((target("sse4.2")))
uint32_t sluice_crc32c_hardware(uint32_t crc, const void *data, size_t length) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t c = crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        length -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (length > 0) {
        c32 = _mm_crc32_u8(c32, *p);
        p += 1;
        length -= 1;
    }
    return c32;
}
#else
int sluice_crc32c_hardware_available(void) { return 0; }

uint32_t sluice_crc32c_hardware(uint32_t crc, const void *data, size_t length) {
    (void)data;
    (void)length;
    return crc;
}
#endif

void sluice_tune_malloc(int mmap_threshold, int trim_threshold, int arena_max) {
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, trim_threshold);
    if (arena_max > 0) mallopt(M_ARENA_MAX, arena_max);
}

#if defined(__x86_64__)
#include <emmintrin.h>

static inline uint64_t sluice_match_mask16(const uint8_t *p, __m128i va, __m128i vb) {
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    return (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
}
#endif

size_t sluice_find_either(const uint8_t *data, size_t length, uint8_t a, uint8_t b, uint32_t *positions,
                          size_t capacity, size_t *examined) {
    size_t i = 0;
    size_t count = 0;
#if defined(__x86_64__)
    const __m128i va = _mm_set1_epi8((char)a);
    const __m128i vb = _mm_set1_epi8((char)b);
    while (i + 64 <= length && count + 64 <= capacity) {
        uint64_t mask = sluice_match_mask16(data + i, va, vb)
            | sluice_match_mask16(data + i + 16, va, vb) << 16
            | sluice_match_mask16(data + i + 32, va, vb) << 32
            | sluice_match_mask16(data + i + 48, va, vb) << 48;
        while (mask != 0) {
            positions[count++] = (uint32_t)(i + (size_t)__builtin_ctzll(mask));
            mask &= mask - 1;
        }
        i += 64;
    }
#endif
    while (i < length && count < capacity) {
        if (data[i] == a || data[i] == b) positions[count++] = (uint32_t)i;
        i += 1;
    }
    *examined = i;
    return count;
}

#if defined(__linux__)
#include <pthread.h>
#endif

static __thread uintptr_t stack_low_bound_cache;

uintptr_t sluice_stack_low_bound(void) {
    if (stack_low_bound_cache != 0) return stack_low_bound_cache;
#if defined(__linux__)
    pthread_attr_t attr;
    void *address = 0;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return 0;
    if (pthread_attr_getstack(&attr, &address, &size) != 0) address = 0;
    pthread_attr_destroy(&attr);
    stack_low_bound_cache = (uintptr_t)address;
#endif
    return stack_low_bound_cache;
}

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

static __thread int background_nice_applied;

int sluice_enter_background(int nice_increment) {
    if (background_nice_applied) return 0;
    background_nice_applied = 1;
#if defined(__linux__)
    pid_t tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    int current = getpriority(PRIO_PROCESS, (id_t)tid);
    if (current == -1 && errno != 0) return -1;
    return setpriority(PRIO_PROCESS, (id_t)tid, current + nice_increment);
#else
    (void)nice_increment;
    return 0;
#endif
}
