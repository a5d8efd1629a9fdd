import CSluiceSupport
import Foundation

/// glibc malloc settings for a loading server.
///
/// Loads allocate and free many multi-megabyte column buffers per second. By default glibc
/// serves allocations over 128 KiB with fresh `mmap`s and returns them on `free`, so every batch
/// pays page faults and the kernel zeroing those pages again (measured: 11% of a CSV Stream Load
/// in `clear_page_erms`). Keeping such blocks in the heap lets them be reused; memory stays
/// bounded by the per-load limits, and the trim threshold returns it once loads stop.
///
/// Trim threshold 32 MiB: load work hops across many Dispatch threads, so freed blocks spread
/// over many malloc arenas; with a 256 MiB threshold each arena kept its own and a 2 GB Stream
/// Load peaked at 489–541 MB. At 32 MiB it peaks at 392–472 MB with the same throughput. Capping
/// the arenas instead (one or two per core) cut the peak further but made `/livez` wait on
/// arena locks held by the niced load threads (p99 70–99 ms): arenas stay at glibc's default.
enum MemoryTuning {
    static func apply() {
        sluice_tune_malloc(64 << 20, 32 << 20, 0)
    }
}
