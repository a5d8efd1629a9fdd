/// What a job knows of its source's reachability: per partition, when the broker last answered
/// (messages fetched, or an offset probe while idle), and the last broker error. A broker outage
/// otherwise looks exactly like an idle topic (no messages, no lag); after the grace period
/// without an answer the job says so — SHOW ROUTINE LOAD, the task message, `/metrics` — while
/// it keeps retrying, never pausing.
package struct SourceHealth: Sendable, Hashable {
    /// Wall-clock milliseconds of the last answer per partition.
    package private(set) var lastContact: [Int32: Int64] = [:]
    /// The last broker error and when it happened (wall-clock milliseconds).
    package private(set) var lastError: (message: String, at: Int64)?
    /// When watching began (the job started or resumed): silence is counted from here.
    package private(set) var since: Int64

    package init(since: Int64) { self.since = since }

    package static func == (a: SourceHealth, b: SourceHealth) -> Bool {
        a.lastContact == b.lastContact && a.since == b.since && a.lastError?.message == b.lastError?.message
            && a.lastError?.at == b.lastError?.at
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(lastContact)
        hasher.combine(since)
    }

    mutating func reached(_ partitions: some Sequence<Int32>, at now: Int64) {
        for partition in partitions { lastContact[partition] = max(lastContact[partition] ?? 0, now) }
    }

    mutating func failed(_ message: String, at now: Int64) { lastError = (message, now) }

    /// The last answer from `partition`'s broker, or when watching began.
    package func contact(_ partition: Int32) -> Int64 { lastContact[partition] ?? since }

    /// The partitions among `partitions` whose broker has not answered for longer than `grace`
    /// milliseconds at `now`.
    package func silent(_ partitions: [Int32], now: Int64, grace: Int64) -> [Int32] {
        partitions.filter { now - contact($0) > grace }
    }

    /// The most recent answer from any partition's broker.
    package var lastFetch: Int64? { lastContact.values.max() }
}
