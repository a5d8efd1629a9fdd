/// A librdkafka failure with its error name; `isRetriable` tells transient faults from permanent ones.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// librdkafka's error code (`rd_kafka_resp_err_t` raw value), when there is one.
    public var code: Int32?
    public var isRetriable: Bool

    public init(_ message: String, code: Int32? = nil, isRetriable: Bool = false) {
        self.message = message
        self.code = code
        self.isRetriable = isRetriable
    }

    public var description: String { message }
}
