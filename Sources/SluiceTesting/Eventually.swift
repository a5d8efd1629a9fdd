import Foundation

/// Waits for a condition that another process (or a socket) makes true, where the test cannot be
/// notified: re-checks at a short interval and gives up at a deadline, instead of sleeping a
/// guessed amount and hoping. In-process state should be waited on with a condition variable.
package enum Eventually {
    /// Re-checks `condition` until it holds or `timeout` passes; returns whether it held.
    /// For state the test cannot be notified of (another process, a socket), this is the one
    /// place that polls.
    @discardableResult
    package static func until(
        timeout: Duration = .seconds(30), poll: Duration = .milliseconds(20), _ condition: () throws -> Bool
    ) rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try condition() { return true }
            if ContinuousClock.now >= deadline { return false }
            let c = poll.components
            usleep(UInt32(c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000))
        }
    }

    /// ``until(timeout:poll:_:)`` for async conditions.
    @discardableResult
    package static func until(
        timeout: Duration = .seconds(30), poll: Duration = .milliseconds(20), _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try await condition() { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: poll)
        }
    }
}
