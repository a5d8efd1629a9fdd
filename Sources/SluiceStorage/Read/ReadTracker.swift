import Synchronization

/// Defers deletion of obsolete files until no scan that might read them is running.
///
/// Each scan holds a lease on the current generation. Files made obsolete (by compaction, drop or
/// truncate) are tagged with the generation after the change and removed once no lease of an
/// older generation remains.
final class ReadTracker: Sendable {
    private struct State {
        var generation = 0
        var leases: [Int: Int] = [:]
        var pending: [(generation: Int, paths: [String])] = []
    }

    private let state = Mutex(State())

    /// Starts a read; returns the lease to pass to ``end(_:)``.
    func begin() -> Int {
        state.withLock { s in
            s.leases[s.generation, default: 0] += 1
            return s.generation
        }
    }

    /// Ends a read; returns paths that may now be deleted.
    func end(_ lease: Int) -> [String] {
        state.withLock { s in
            s.leases[lease]! -= 1
            if s.leases[lease] == 0 { s.leases[lease] = nil }
            return Self.collect(&s)
        }
    }

    /// Marks `paths` obsolete; returns paths that may be deleted at once.
    func retire(_ paths: [String]) -> [String] {
        state.withLock { s in
            s.generation += 1
            s.pending.append((s.generation, paths))
            return Self.collect(&s)
        }
    }

    private static func collect(_ s: inout State) -> [String] {
        let oldest = s.leases.keys.min() ?? Int.max
        var ready = [String]()
        s.pending.removeAll { entry in
            if oldest >= entry.generation {
                ready.append(contentsOf: entry.paths)
                return true
            }
            return false
        }
        return ready
    }
}
