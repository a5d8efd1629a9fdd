import CSluiceSupport
package import Dispatch
import Synchronization

/// Load work — parsing, converting, sorting, encoding and flushing segments — runs on threads of
/// its own at a lower CPU priority (nice `load.background_nice`, default 10) than the HTTP event loops and Swift's cooperative
/// pool, so health checks, small requests and the SQL front door stay answered within
/// milliseconds while every core is busy loading (issue 12: `/livez` p99 ≤ 50 ms under 16 large
/// loads). CFS gives a nice-10 thread about a tenth of the weight of a nice-0 one, so a waking
/// event loop runs at once; idle cores still go to the loads.
///
/// The threads are Dispatch's utility-QoS overcommit workers, which nothing else here uses (Swift
/// tasks run on the default-QoS pool, other blocking work on the user-initiated one), or a load's
/// own threads (Routine Load tasks). Overcommit, like the serial queues loads used before: a
/// worker blocked in an fsync or waiting for its other half never holds back the next one. They
/// stay lowered: an unprivileged thread cannot raise its priority.
package enum BackgroundWork {
    /// How much lower background threads run (0 = not at all). The server sets it from
    /// `load.background_nice` (default 10) before any load runs; library users and in-process
    /// tests keep 0.
    package static var niceIncrement: Int32 {
        get { increment.load(ordering: .relaxed) }
        set { increment.store(newValue, ordering: .relaxed) }
    }
    private static let increment = Atomic<Int32>(0)

    /// Lowers the calling thread's priority (once per thread; later calls are free).
    package static func enter() {
        let nice = niceIncrement
        if nice > 0 { _ = sluice_enter_background(nice) }
    }

    /// A serial queue on the background lane (a load's converter, a writer's flusher).
    package static func serialQueue(label: String) -> DispatchQueue {
        DispatchQueue(label: label, qos: .utility)
    }

    /// Runs `work` once on a background thread. A fresh serial queue per call lands on the
    /// utility *overcommit* pool, which grows a thread while others block; the global utility
    /// queue is width-limited, and blocked hops there held back the rest (decision 0009).
    package static func async(_ work: @escaping @Sendable () -> Void) {
        serialQueue(label: "sluice.background").async {
            enter()
            work()
        }
    }

    /// Runs `body(0..<count)` in parallel — index 0 on the calling thread, the others on
    /// background threads — and returns when all are done (`concurrentPerform` on this lane).
    package static func parallel(_ count: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: body) { pointer in
                // The helpers reach `body` through a pointer that dies with this frame, which
                // outlives them (the group is waited for); no reference escapes.
                let shared = UncheckedPointer(pointer)
                let group = DispatchGroup()
                for index in 1..<max(1, count) {
                    group.enter()
                    async {
                        shared.pointer.pointee(index)
                        group.leave()
                    }
                }
                body(0)
                group.wait()
            }
        }
    }
}

/// A pointer handed to threads that are joined before its pointee goes away.
private struct UncheckedPointer<T>: @unchecked Sendable {
    let pointer: UnsafePointer<T>
    init(_ pointer: UnsafePointer<T>) { self.pointer = pointer }
}
