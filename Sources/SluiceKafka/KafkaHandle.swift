import CRdKafka
import Logging
import SluiceRoutineLoad

/// librdkafka's own log lines (broker connects and disconnects, retries) go through swift-log
/// instead of raw stderr: syslog levels 0–3 as warnings (a broker outage is an expected, retried
/// fault for the daemon), 4–5 as notices, the rest as debug.
let kafkaLogger = Logger(label: "librdkafka")

let kafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    _, level, facility, text in
    let message = text.map { String(cString: $0) } ?? ""
    let metadata: Logger.Metadata = ["facility": "\(facility.map { String(cString: $0) } ?? "")"]
    switch level {
    case ...3: kafkaLogger.warning("\(message)", metadata: metadata)
    case 4...5: kafkaLogger.notice("\(message)", metadata: metadata)
    default: kafkaLogger.debug("\(message)", metadata: metadata)
    }
}

/// librdkafka reports each client error twice: a log line (facility FAIL and the like) and an
/// error event, which — without an error callback — it logs again as facility ERROR. The log line
/// is kept (through swift-log above); the event goes here, at debug, so each fault shows once.
let kafkaErrorCallback:
    @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
        _, code, reason, _ in
        kafkaLogger.debug(
            "\(reason.map { String(cString: $0) } ?? "")", metadata: ["facility": "ERROR", "code": "\(code)"])
    }

/// Builds an `rd_kafka_conf_t` from key/value settings.
enum KafkaConf {
    static func make(_ settings: [String: String]) throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError("rd_kafka_conf_new failed") }
        rd_kafka_conf_set_log_cb(conf, kafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, kafkaErrorCallback)
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError("invalid Kafka setting \(key)=\(value): \(Self.text(errorText))")
            }
        }
        return conf
    }

    /// Applies `settings` to a scratch configuration, in key order, to find the first one
    /// librdkafka refuses (unknown key, invalid value).
    static func check(_ settings: [String: String]) throws(SourceSettingError) {
        guard let conf = rd_kafka_conf_new() else { return }
        defer { rd_kafka_conf_destroy(conf) }
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in settings.sorted(by: { $0.key < $1.key })
        where rd_kafka_conf_set(conf, key, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
            throw SourceSettingError(key: key, value: value, reason: Self.text(errorText))
        }
    }

    /// A NUL-terminated C buffer as text.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates a client handle; the configuration is consumed.
    static func client(_ type: rd_kafka_type_t, _ settings: [String: String]) throws -> OpaquePointer {
        let conf = try make(settings)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError("cannot create Kafka client: \(Self.text(errorText))")
        }
        return rk
    }

    static func errorText(_ code: rd_kafka_resp_err_t) -> String { String(cString: rd_kafka_err2str(code)) }
}
