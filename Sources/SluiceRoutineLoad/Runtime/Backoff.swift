/// Exponential backoff between retries: starts at `minimum`, doubles per failure up to
/// `maximum`, back to `minimum` after a success. A value; the owner decides when to wait.
package struct Backoff: Sendable, Hashable {
    package let minimum: Duration
    package let maximum: Duration
    package private(set) var current: Duration

    package init(minimum: Duration, maximum: Duration) {
        self.minimum = minimum
        self.maximum = maximum
        self.current = minimum
    }

    /// The wait before the next attempt; the one after it doubles.
    package mutating func next() -> Duration {
        defer { current = min(current * 2, maximum) }
        return current
    }

    package mutating func reset() { current = minimum }
}

extension JobRunner {
    /// A fresh backoff with the manager's bounds.
    var backoff: Backoff { Backoff(minimum: manager.options.minBackoff, maximum: manager.options.maxBackoff) }

    /// Waits out the next step of `backoff` (woken early by stop).
    func pause(_ backoff: inout Backoff) { pause(backoff.next()) }
}
