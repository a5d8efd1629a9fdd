import Glibc
import Synchronization

/// Named fault points for crash and fault-injection tests, inactive unless armed.
///
/// Code marks a point with `try FaultPoints.hit("storage.after_commit_record")`. Nothing happens
/// unless the point was armed — in a test with ``arm(_:action:from:count:)``, or for a whole
/// process with the `SLUICE_FAULTS` environment variable (``configure(_:)``):
///
///     SLUICE_FAULTS="routine_load.after_prepare=crash@3,storage.segment_write=fail@1*5"
///
/// `crash@N` kills the process (SIGKILL, as a power cut would) at the point's N-th hit;
/// `fail@N*K` makes hits N…N+K−1 throw an I/O error ("No space left on device");
/// `stop@N` stops the process (SIGSTOP, a zombie in the making) until someone sends SIGCONT.
package enum FaultPoints {
    package enum Action: String, Sendable {
        case crash
        case fail
        case stop
    }

    struct Arm {
        var action: Action
        var from: Int
        var count: Int
        var hits = 0
    }

    private static let active = Atomic<Bool>(false)
    private static let armed = Mutex<[String: Arm]>([:])

    /// Every point the code marks (documentation, the chaos harness's choice list).
    package static let known = [
        "routine_load.after_consume", "routine_load.after_plan", "routine_load.after_write",
        "routine_load.after_prepare", "routine_load.after_commit", "storage.after_segments",
        "storage.after_commit_record", "storage.before_compaction_swap", "storage.after_compaction_swap",
        "storage.mid_checkpoint", "storage.segment_write", "storage.journal_write", "stream_load.mid_body",
        "remote_load.after_begin", "remote_load.after_load", "remote_load.after_prepare", "remote_load.after_commit",
        "pipe.after_commit",
    ]

    /// Arms `name`: `action` at hits `from`…`from + count − 1` (1-based).
    package static func arm(_ name: String, action: Action, from: Int = 1, count: Int = 1) {
        armed.withLock { $0[name] = Arm(action: action, from: from, count: count) }
        active.store(true, ordering: .releasing)
    }

    package static func disarmAll() {
        armed.withLock { $0.removeAll() }
        active.store(false, ordering: .releasing)
    }

    /// Arms points from a `SLUICE_FAULTS` value. - Throws: ``IOError`` for a malformed entry.
    package static func configure(_ spec: String) throws {
        for entry in spec.split(separator: ",") where !entry.isEmpty {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else {
                throw IOError(.io, "SLUICE_FAULTS entry '\(entry)' is not name=action@hit", path: "SLUICE_FAULTS")
            }
            let rule = parts[1].split(separator: "@", maxSplits: 1)
            guard let action = Action(rawValue: String(rule[0])) else {
                throw IOError(
                    .io, "SLUICE_FAULTS action '\(rule[0])' is not crash, fail or stop", path: "SLUICE_FAULTS")
            }
            var from = 1, count = 1
            if rule.count == 2 {
                let numbers = rule[1].split(separator: "*")
                guard let f = Int(numbers[0]), f >= 1, numbers.count <= 2 else {
                    throw IOError(.io, "SLUICE_FAULTS hit '\(rule[1])' is not N or N*K", path: "SLUICE_FAULTS")
                }
                from = f
                if numbers.count == 2 {
                    guard let k = Int(numbers[1]), k >= 1 else {
                        throw IOError(.io, "SLUICE_FAULTS count '\(numbers[1])'", path: "SLUICE_FAULTS")
                    }
                    count = k
                }
            }
            arm(String(parts[0]), action: action, from: from, count: count)
        }
    }

    /// Marks a point: crashes or throws when it is armed for this hit, else returns at once.
    @inline(__always)
    package static func hit(_ name: String) throws {
        guard active.load(ordering: .acquiring) else { return }
        try slowHit(name)
    }

    private static func slowHit(_ name: String) throws {
        let action: Action? = armed.withLock { points in
            guard var arm = points[name] else { return nil }
            arm.hits += 1
            points[name] = arm
            return arm.hits >= arm.from && arm.hits < arm.from + arm.count ? arm.action : nil
        }
        switch action {
        case .crash?:
            let message = "sluice: fault point \(name): crashing\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            kill(getpid(), SIGKILL)
        case .fail?:
            throw IOError(.noSpace, "fault injected at \(name): No space left on device", path: name, errno: ENOSPC)
        case .stop?:
            let message = "sluice: fault point \(name): stopping\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            kill(getpid(), SIGSTOP)
        case nil:
            return
        }
    }
}
