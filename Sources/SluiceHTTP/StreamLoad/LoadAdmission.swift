import Synchronization

/// How many loads may receive data at once (`load.max_concurrent_loads`): one more gets a
/// "too busy" answer at once instead of queueing behind the others (a client can retry it with
/// the same label; nothing of it was written).
package final class LoadAdmission: Sendable {
    package let limit: Int
    private let running = Atomic<Int>(0)

    package init(limit: Int) { self.limit = limit }

    /// Takes a slot; false when all are taken.
    func enter() -> Bool {
        if running.wrappingAdd(1, ordering: .acquiring).newValue <= limit { return true }
        running.wrappingSubtract(1, ordering: .relaxed)
        return false
    }

    func leave() { running.wrappingSubtract(1, ordering: .releasing) }

    package var current: Int { running.load(ordering: .relaxed) }

    /// The refusal's message.
    var busyMessage: String {
        "too busy: \(limit) loads are already receiving data (load.max_concurrent_loads); retry shortly with the same label"
    }
}
