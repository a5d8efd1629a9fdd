/// When an idle task asks its partitions' brokers whether they answer: a partition is due once
/// it has gone `every` milliseconds without messages or an answered probe; one at a time, the
/// quietest first.
///
/// A task keeps one schedule across its batches, and the clock of every partition starts when
/// the task does: a probe is a synchronous broker round trip, so probing partitions merely not
/// reached yet (a consumer queue filled partition by partition, as topics of large record
/// batches are) would stall every batch by one round trip per partition.
struct ProbeSchedule {
    private var last: [Int32: Int64]
    private let every: Int64

    /// - Parameter now: when the task started (milliseconds); no partition is due before
    ///   `now + every`.
    init(partitions: [Int32], every: Int64, now: Int64) {
        last = Dictionary(uniqueKeysWithValues: partitions.map { ($0, now) })
        self.every = max(1, every)
    }

    /// The partition to probe now, if any.
    func due(at now: Int64) -> Int32? {
        guard let (partition, at) = last.min(by: { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) })
        else { return nil }
        return now - at >= every ? partition : nil
    }

    mutating func answered(_ partitions: some Sequence<Int32>, at now: Int64) {
        for partition in partitions where last[partition] != nil { last[partition] = now }
    }
}
