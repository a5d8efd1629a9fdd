/// When an idle task asks its partitions' brokers whether they answer: a partition is due once
/// it has gone `every` milliseconds without messages or an answered probe; one at a time, the
/// quietest first.
struct ProbeSchedule {
    private var last: [Int32: Int64]
    private let every: Int64

    init(partitions: [Int32], every: Int64) {
        last = Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64.min) })
        self.every = max(1, every)
    }

    /// The partition to probe now, if any.
    func due(at now: Int64) -> Int32? {
        guard let (partition, at) = last.min(by: { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) })
        else { return nil }
        return at == Int64.min || now - at >= every ? partition : nil
    }

    mutating func answered(_ partitions: some Sequence<Int32>, at now: Int64) {
        for partition in partitions where last[partition] != nil { last[partition] = now }
    }
}
