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
/// Arenas: glibc gives up to 8 arenas per core, one per thread that allocates while another holds
/// an arena. Load work hops across many Dispatch threads, so the kept-for-reuse blocks spread
/// over many arenas and each keeps its own: a 2 GB Stream Load peaked at ~500 MB. One arena per
/// core keeps allocation parallel and the peak at ~290 MB (docs/benchmarks-load.md).
enum MemoryTuning {
    static func apply() {
        sluice_tune_malloc(64 << 20, 256 << 20, Int32(ProcessInfo.processInfo.activeProcessorCount))
    }
}
