/// A consumer-group member's view of a topic (remote-sink mode): the group coordinator decides
/// which partitions it reads, and tells it through ``GroupRebalanceHandler`` calls made on the
/// polling thread, inside ``poll(maxMessages:timeoutMilliseconds:)`` or ``close()``.
///
/// Implementations block; the job's own thread owns one. They throw ``SourceError``. Offsets are
/// never read from or committed to the group: where each partition starts is the sink's word.
package protocol GroupMessageSource: AnyObject {
    /// Joins the job's consumer group (cooperative-sticky assignment) and reports rebalances.
    func subscribe(_ handler: any GroupRebalanceHandler) throws
    /// Up to `maxMessages` messages of the owned partitions; serves rebalance callbacks.
    func poll(maxMessages: Int, timeoutMilliseconds: Int) throws -> MessageBatch
    /// Starts `partitions` (assigned without a start offset, paused) at the given offsets.
    func seed(_ offsets: [Int32: Int64]) throws
    /// Moves owned partitions to new offsets (after the sink refused a batch).
    func seek(_ offsets: [Int32: Int64]) throws
    /// The group member id (empty before the first join).
    var memberID: String { get }
    /// How many members the group has now, asked of its coordinator (nil when it does not answer).
    func groupSize() -> Int?
    /// The topic's partition ids.
    func partitions() throws -> [Int32]
    /// Low watermark and high watermark of a partition.
    func watermarks(partition: Int32) throws -> (low: Int64, high: Int64)
    /// Leaves the group: the handler hears the final revoke first.
    func close()
}

/// Hears a group member's rebalances, on the polling thread.
package protocol GroupRebalanceHandler: AnyObject {
    /// `partitions` joined the assignment. Returns where each starts; a partition without an
    /// offset (the sink did not answer) is assigned paused until ``GroupMessageSource/seed(_:)``.
    func assigned(_ partitions: [Int32]) -> [Int32: Int64]
    /// `partitions` left the assignment; `lost` when the group took them without a handover
    /// (session timeout, fenced generation): nothing of them may be committed any more.
    func revoked(_ partitions: [Int32], lost: Bool)
}

/// Opens group consumers for remote-sink jobs.
package protocol GroupSourceFactory: Sendable {
    /// - Parameter settings: the job's `property.*` (librdkafka settings), applied last.
    func makeGroupSource(brokers: String, topic: String, groupID: String, settings: [String: String]) throws
        -> any GroupMessageSource
}
