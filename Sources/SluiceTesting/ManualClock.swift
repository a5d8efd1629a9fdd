import Foundation
import Synchronization

/// Time that moves only when a test says so: inject ``nowMicros`` (or ``nowSeconds``) where code
/// takes a clock, then ``advance(by:)`` instead of sleeping. Threads and tasks waiting for a
/// moment (``wait(until:)``, ``sleep(until:tolerance:)``) wake as soon as the clock reaches it.
package final class ManualClock: Clock, @unchecked Sendable {
    // @unchecked: `now` is guarded by `condition`.
    package struct Instant: InstantProtocol {
        package var offset: Duration
        package func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        package func duration(to other: Instant) -> Duration { other.offset - offset }
        package static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private let condition = NSCondition()
    private var current: Instant
    private var sleepers: [(deadline: Instant, resume: CheckedContinuation<Void, Never>)] = []
    /// Microseconds since the epoch at offset zero.
    package let epochMicros: Int64

    /// - Parameter epochMicros: the wall time the clock starts at (default 2023-11-14T22:13:20Z).
    package init(epochMicros: Int64 = 1_700_000_000_000_000) {
        self.epochMicros = epochMicros
        self.current = Instant(offset: .zero)
    }

    package var now: Instant {
        condition.lock()
        defer { condition.unlock() }
        return current
    }

    package var minimumResolution: Duration { .microseconds(1) }

    /// Microseconds since the epoch now.
    package var nowMicros: Int64 {
        let c = now.offset.components
        return epochMicros + c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000
    }

    /// Whole seconds since the epoch now.
    package var nowSeconds: Int64 { nowMicros / 1_000_000 }

    /// Moves time forward and wakes everything waiting for a moment up to the new time.
    package func advance(by duration: Duration) {
        condition.lock()
        current = current.advanced(by: duration)
        let due = sleepers.filter { $0.deadline <= current }
        sleepers.removeAll { $0.deadline <= current }
        condition.broadcast()
        condition.unlock()
        for sleeper in due { sleeper.resume.resume() }
    }

    /// Blocks the calling thread until the clock reaches `deadline`.
    package func wait(until deadline: Instant) {
        condition.lock()
        while current < deadline { condition.wait() }
        condition.unlock()
    }

    package func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if deadline <= current {
                condition.unlock()
                continuation.resume()
                return
            }
            sleepers.append((deadline, continuation))
            condition.unlock()
        }
    }
}
