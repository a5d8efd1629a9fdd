/// Messages of one fetch, copied out of the client library into Swift memory.
///
/// Payloads are stored back to back in `payload`; message `i` is `payload[ends[i-1]..<ends[i]]`.
public struct MessageBatch: Sendable {
    public var partitions: [Int32] = []
    public var offsets: [Int64] = []
    /// Milliseconds since the epoch (the Kafka message timestamp).
    public var timestamps: [Int64] = []
    public var payload: [UInt8] = []
    public var ends: [Int] = []

    public init() {}

    public var count: Int { offsets.count }

    public func message(_ i: Int) -> ArraySlice<UInt8> {
        payload[(i == 0 ? 0 : ends[i - 1])..<ends[i]]
    }

    public mutating func append(partition: Int32, offset: Int64, timestamp: Int64, payload bytes: UnsafeRawBufferPointer) {
        partitions.append(partition)
        offsets.append(offset)
        timestamps.append(timestamp)
        payload.append(contentsOf: bytes)
        ends.append(payload.count)
    }
}

/// Where Routine Load reads messages from: a Kafka consumer in production, a fake in tests.
///
/// Implementations block; callers run them on a dedicated thread, never on the cooperative pool.
public protocol MessageSource: AnyObject {
    /// Starts reading `partition` at `nextOffset` (replacing any earlier assignment).
    func assign(_ starts: [Int32: Int64]) throws
    /// Up to `maxMessages` messages, waiting at most `timeoutMilliseconds` for the first.
    func poll(maxMessages: Int, timeoutMilliseconds: Int) throws -> MessageBatch
}
