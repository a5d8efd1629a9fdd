/// Messages of one fetch, copied out of the client library into Swift memory.
///
/// Payloads are stored back to back in `payload`; message `i` is `payload[ends[i-1]..<ends[i]]`.
package struct MessageBatch: Sendable {
    package var partitions: [Int32] = []
    package var offsets: [Int64] = []
    /// Milliseconds since the epoch (the Kafka message timestamp).
    package var timestamps: [Int64] = []
    package var payload: [UInt8] = []
    package var ends: [Int] = []

    package init() {}

    package var count: Int { offsets.count }

    package func message(_ i: Int) -> ArraySlice<UInt8> {
        payload[(i == 0 ? 0 : ends[i - 1])..<ends[i]]
    }

    package mutating func append(
        partition: Int32, offset: Int64, timestamp: Int64, payload bytes: UnsafeRawBufferPointer
    ) {
        partitions.append(partition)
        offsets.append(offset)
        timestamps.append(timestamp)
        payload.append(contentsOf: bytes)
        ends.append(payload.count)
    }
}

/// A failure of a message source, classified the way the job reacts to it.
package struct SourceError: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        /// Broker down, timeout, leader change: retry with backoff, never pause.
        case transient
        /// The broker no longer has the requested offset (retention deleted unread data).
        case offsetOutOfRange(partition: Int32)
        /// Unknown topic, refused assignment: pause the job.
        case permanent
        /// The client cannot be created from the job's `property.*` settings (librdkafka's words,
        /// e.g. `Unsupported SASL mechanism: FOO`): pause the job.
        case configuration
        /// The brokers refused the client's SASL credentials or TLS handshake (librdkafka's words):
        /// pause the job; RESUME after fixing the settings or the brokers.
        case authentication
    }

    package var kind: Kind
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}

/// Where Routine Load reads messages from: a Kafka consumer in production, a fake in tests.
///
/// Implementations block; callers run them on a dedicated thread, never on the cooperative pool.
/// They throw ``SourceError``.
package protocol MessageSource: AnyObject {
    /// The topic's partition ids.
    func partitions() throws -> [Int32]
    /// Low watermark (first offset kept) and high watermark (next offset to be produced).
    func watermarks(partition: Int32) throws -> (low: Int64, high: Int64)
    /// The high watermark last seen by fetches (no broker round trip), if known.
    func cachedHighWatermark(partition: Int32) -> Int64?
    /// Starts reading `partition` at `nextOffset` (replacing any earlier assignment).
    func assign(_ starts: [Int32: Int64]) throws
    /// Up to `maxMessages` messages, waiting at most `timeoutMilliseconds` for the first.
    func poll(maxMessages: Int, timeoutMilliseconds: Int) throws -> MessageBatch
    /// Asks `partition`'s broker for its offsets, waiting at most `timeoutMilliseconds`: throws
    /// when it does not answer (how an idle task tells a quiet topic from a dead broker).
    func probe(partition: Int32, timeoutMilliseconds: Int) throws
}

/// Opens message sources for jobs (one per task, owned by the task's thread).
package protocol MessageSourceFactory: Sendable {
    /// - Parameter settings: the job's `property.*` (librdkafka settings).
    func makeSource(brokers: String, topic: String, groupID: String, settings: [String: String]) throws
        -> any MessageSource
    /// Checks settings the client library would refuse, without contacting a broker.
    /// - Returns: the keys the library does not know (ignored when the client is made, as
    ///   StarRocks ignores them).
    /// - Throws: ``SourceSettingError`` naming the first setting with an invalid value.
    @discardableResult
    func checkSettings(_ settings: [String: String]) throws(SourceSettingError) -> [String]
}

/// A `property.*` setting the client library refuses (unknown key or invalid value).
package struct SourceSettingError: Error, Sendable {
    package var key: String
    package var value: String
    /// The library's reason (`No such configuration property: "…"`).
    package var reason: String

    package init(key: String, value: String, reason: String) {
        self.key = key
        self.value = value
        self.reason = reason
    }
}
