import UnixSignals

/// Suspends until SIGTERM or SIGINT (for foreground tools such as `sluice kafka-mock`).
package enum Termination {
    package static func wait() async {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        for await _ in signals { return }
    }
}
