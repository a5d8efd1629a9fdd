import CSluiceSupport

/// glibc malloc settings for a loading server.
///
/// Loads allocate and free many multi-megabyte column buffers per second. By default glibc
/// serves allocations over 128 KiB with fresh `mmap`s and returns them on `free`, so every batch
/// pays page faults and the kernel zeroing those pages again (measured: 11% of a CSV Stream Load
/// in `clear_page_erms`). Keeping such blocks in the heap lets them be reused; memory stays
/// bounded by the per-load limits, and the trim threshold returns it once loads stop.
enum MemoryTuning {
    static func apply() {
        sluice_tune_malloc(64 << 20, 256 << 20)
    }
}
