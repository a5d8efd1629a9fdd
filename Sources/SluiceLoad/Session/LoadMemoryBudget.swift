import Synchronization

/// What all running loads may hold together (`load.total_memory_limit_bytes`). A load asks for
/// its flush threshold (`load.memory_limit_bytes`, `load_mem_limit`) and gets it, or what a
/// quarter of the budget left pays for when that is less, never under a floor — or, when
/// not even the floor is left, not at all (the load is refused as too busy); it is charged its
/// peak (``charge(_:)``). Thresholds shrink smoothly as loads pile up, so
/// many concurrent loads flush smaller segments (and parse smaller hops) instead of growing the
/// process past its budget. The charge is returned when the load ends.
package final class LoadMemoryBudget: Sendable {
    package let total: Int
    /// The least a load is given even when the budget is spent (so it can make progress).
    package static let floor = 4 << 20
    /// What a load holds at its peak per byte of flush threshold: the buffered rows, their sorted
    /// copy and the encoded pages while a flush runs (measured: 8 concurrent 100 MB CSV loads
    /// peaked at ~150 MB each with a 48 MiB threshold) …
    package static let footprint = 3
    /// … plus what it holds whatever its threshold: body hops in flight, parsed batches, per-tablet
    /// buffers (measured: ~50 MB each with an 8 MiB threshold).
    package static let overhead = 24 << 20

    /// What a load with flush threshold `grant` is charged.
    package static func charge(_ grant: Int) -> Int { grant * footprint + overhead }
    private let reserved = Mutex(0)

    package init(total: Int) { self.total = total }

    /// Grants a flush threshold of up to `wanted` bytes and charges its peak.
    /// - Returns: the threshold (at least ``floor``), or nil when what is left cannot pay even for
    ///   the floor (the load must not start: "too busy").
    package func reserve(_ wanted: Int) -> Int? {
        reserved.withLock { reserved in
            guard total - reserved >= Self.charge(Self.floor) else { return nil }
            let grant = max(Self.floor, min(wanted, ((total - reserved) / 4 - Self.overhead) / Self.footprint))
            reserved += Self.charge(grant)
            return grant
        }
    }

    /// Returns a threshold ``reserve(_:)`` granted.
    package func release(_ grant: Int) {
        guard grant > 0 else { return }
        reserved.withLock { $0 -= Self.charge(grant) }
    }

    /// Bytes reserved for running loads now (their thresholds times ``footprint``).
    package var inUse: Int { reserved.withLock { $0 } }
}
