import Dispatch

/// Runs blocking work (fsync, large reads, C calls that wait) off Swift's cooperative pool.
///
/// The cooperative pool has as many threads as cores (2 on our machines); one blocked task there
/// stalls every HTTP handler. Work submitted here runs on Dispatch's global queue, which grows
/// threads for blocked work.
package enum BlockingIO {
    private static let queue = DispatchQueue(label: "sluice.blocking-io", qos: .userInitiated, attributes: .concurrent)

    /// Which threads run the work.
    package enum Lane: Sendable {
        /// Requests that answer people and monitors: SQL, metrics, label checks.
        case foreground
        /// Load work (``BackgroundWork``): body parsing, load begin/finish, at lower priority.
        case background
    }

    /// Runs `body` on a blocking-I/O thread of `lane` and returns its result.
    package static func run<T: Sendable>(_ lane: Lane = .foreground, _ body: @escaping @Sendable () throws -> T)
        async throws -> T
    {
        try await withCheckedThrowingContinuation { continuation in
            switch lane {
            case .foreground:
                queue.async { continuation.resume(with: Result { try body() }) }
            case .background:
                BackgroundWork.async { continuation.resume(with: Result { try body() }) }
            }
        }
    }
}
