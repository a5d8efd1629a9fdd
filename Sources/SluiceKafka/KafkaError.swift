/// A librdkafka failure with its error name; `isRetriable` tells transient faults from permanent ones.
package struct KafkaError: Error, Sendable, CustomStringConvertible {
    package var message: String
    /// librdkafka's error code (`rd_kafka_resp_err_t` raw value), when there is one.
    package var code: Int32?
    package var isRetriable: Bool

    package init(_ message: String, code: Int32? = nil, isRetriable: Bool = false) {
        self.message = message
        self.code = code
        self.isRetriable = isRetriable
    }

    package var description: String { message }
}
