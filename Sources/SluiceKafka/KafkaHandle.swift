import CRdKafka
import Logging
import SluiceRoutineLoad
import Synchronization

/// librdkafka's own log lines (broker connects and disconnects, retries) go through swift-log
/// instead of raw stderr: syslog levels 0–3 as warnings (a broker outage is an expected, retried
/// fault for the daemon), 4–5 as notices, the rest as debug.
let kafkaLogger = Logger(label: "librdkafka")

let kafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    handle, level, facility, text in
    let message = text.map { String(cString: $0) } ?? ""
    if level <= 4, let handle { KafkaSecurityFailures.notice(handle, message) }
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
        handle, code, reason, _ in
        if let handle, let reason { KafkaSecurityFailures.notice(handle, String(cString: reason)) }
        kafkaLogger.debug(
            "\(reason.map { String(cString: $0) } ?? "")", metadata: ["facility": "ERROR", "code": "\(code)"])
    }

/// The broker-side security failures (SASL, TLS) librdkafka reports for each client handle, from
/// its log and error callbacks (they run on librdkafka's threads, as they happen): a metadata
/// request that times out against a broker refusing our credentials then reports why, in
/// librdkafka's own words, instead of "timed out".
enum KafkaSecurityFailures {
    private static let last = Mutex<[UInt: String]>([:])

    /// Remembers `text` for `handle` if it is about authentication or TLS.
    static func notice(_ handle: OpaquePointer, _ text: String) {
        guard isSecurityFailure(text) else { return }
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))
        last.withLock { $0[key] = text }
    }

    static func isSecurityFailure(_ text: String) -> Bool {
        ["SASL", "SSL handshake", "Authentication", "authentication failed", "certificate verify failed"].contains {
            text.contains($0)
        }
    }

    /// The last security failure of `handle`, if any.
    static func failure(_ handle: OpaquePointer) -> String? {
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))
        return last.withLock { $0[key] }
    }

    /// Drops what was recorded for a destroyed handle.
    static func forget(_ handle: OpaquePointer) {
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))
        _ = last.withLock { $0.removeValue(forKey: key) }
    }
}

/// Builds an `rd_kafka_conf_t` from key/value settings, the way StarRocks' BE applies a job's
/// `property.*` (spec formats-security-files B.1): a key librdkafka does not know is ignored, as are
/// the Java-client properties it declares but refuses as not supported; any other refusal fails.
enum KafkaConf {
    /// Properties librdkafka declares only to refuse them (`_RK_C_INVALID` in rdkafka_conf.c:
    /// Java TrustStores and JAAS); StarRocks' BE skips them, and so does this.
    static let javaOnlySettings: Set<String> = ["ssl.truststore.location", "sasl.jaas.config"]

    static func make(_ settings: [String: String]) throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError("rd_kafka_conf_new failed") }
        rd_kafka_conf_set_log_cb(conf, kafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, kafkaErrorCallback)
        do {
            try apply(settings, to: conf)
        } catch {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(
                "failed to set '\(error.key)', value: '\(SourceSettingError.shown(error.key, error.value))', err: "
                    + error.reason)
        }
        return conf
    }

    /// Applies `settings` to a scratch configuration, in key order, to find the first one
    /// librdkafka refuses (an invalid value). - Returns: the keys it does not know.
    static func check(_ settings: [String: String]) throws(SourceSettingError) -> [String] {
        guard let conf = rd_kafka_conf_new() else { return [] }
        defer { rd_kafka_conf_destroy(conf) }
        return try apply(settings, to: conf)
    }

    /// - Returns: the keys librdkafka does not know (skipped).
    @discardableResult
    private static func apply(_ settings: [String: String], to conf: OpaquePointer) throws(SourceSettingError)
        -> [String]
    {
        var errorText = [CChar](repeating: 0, count: 512)
        var unknown = [String]()
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) where !javaOnlySettings.contains(key) {
            let result = rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
            if result == RD_KAFKA_CONF_OK { continue }
            if result == RD_KAFKA_CONF_UNKNOWN {
                unknown.append(key)
                continue
            }
            throw SourceSettingError(key: key, value: value, reason: Self.text(errorText))
        }
        return unknown
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
            let role = type == RD_KAFKA_CONSUMER ? "consumer" : "producer"
            throw KafkaError("failed to create kafka \(role): \(Self.text(errorText))")
        }
        return rk
    }

    /// Destroys a client handle and forgets what was recorded about it (a later handle may get
    /// the same address).
    static func destroy(_ handle: OpaquePointer) {
        rd_kafka_destroy(handle)
        KafkaSecurityFailures.forget(handle)
    }

    static func errorText(_ code: rd_kafka_resp_err_t) -> String { String(cString: rd_kafka_err2str(code)) }
}
