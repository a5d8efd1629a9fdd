import SluiceFormat
import SluiceStorage

/// CREATE and ALTER check a job's Kafka source the way StarRocks does before accepting it, so a
/// typo fails the statement instead of leaving a job that never schedules or pauses later:
/// `property.*` settings librdkafka knows, brokers that answer (a bounded wait), the topic, the
/// listed partitions and explicit offsets. Messages follow StarRocks'
/// `Failed to get all partitions of kafka topic: <t>. error: …`.
extension RoutineLoadManager {
    func checkSource(_ properties: JobProperties, database: String, offsets: [Int32: KafkaStartOffset])
        throws(RoutineLoadError)
    {
        let topic = properties.topic
        func fail(_ detail: String) -> RoutineLoadError {
            RoutineLoadError(.source, "Failed to get all partitions of kafka topic: \(topic). error: \(detail)")
        }
        try checkSettings(properties, database: database)
        let settings = try clientSettings(properties, database: database)
        let source: any MessageSource
        let partitions: [Int32]
        do {
            source = try factory.makeSource(
                brokers: properties.brokerList, topic: topic, groupID: "sluice_check", settings: settings)
            partitions = try source.partitions()
        } catch let error as SourceError where error.kind == .permanent {
            throw fail("\(error.message): create the topic first, or correct kafka_topic")
        } catch let error as SourceError where error.kind == .configuration {
            throw fail(error.message)
        } catch let error as SourceError where error.kind == .authentication {
            // The brokers answer but refuse the credentials or the TLS handshake: the job is
            // created (as StarRocks creates it) and pauses at its first schedule with that reason.
            return
        } catch {
            throw fail(
                "failed to get partition meta: brokers \(properties.brokerList) did not answer (\(error)); check "
                    + "kafka_broker_list and that the brokers are up")
        }
        for partition in properties.partitions ?? [] where !partitions.contains(partition) {
            throw RoutineLoadError(
                .invalidProperty,
                "there is a custom kafka partition \(partition) which is invalid for topic \(topic): it has "
                    + "partitions \(partitions.map(String.init).joined(separator: ","))")
        }
        for (partition, start) in offsets.sorted(by: { $0.key < $1.key }) {
            guard case .offset(let offset) = start else { continue }
            let range: (low: Int64, high: Int64)
            do {
                range = try source.watermarks(partition: partition)
            } catch {
                throw fail("failed to get the offsets of partition \(partition): \(error)")
            }
            if offset > range.high {
                throw RoutineLoadError(
                    .invalidProperty,
                    "Offset \(offset) of partition \(partition) is beyond its end offset \(range.high): the job would "
                        + "pause with 'partition \(partition) offset \(offset) has no data'")
            }
        }
    }

    /// The settings check alone (no broker contact). Keys librdkafka does not know are ignored,
    /// as StarRocks ignores them — unless one is a near miss of a setting people mean (a typo
    /// such as `kafka_default_offset`), which is refused with the suggestion.
    func checkSettings(_ properties: JobProperties, database: String?) throws(RoutineLoadError) {
        let unknown: [String]
        let settings = try database.map { db throws(RoutineLoadError) in try clientSettings(properties, database: db) }
        do {
            unknown = try factory.checkSettings(settings ?? properties.clientProperties)
        } catch {
            throw Self.settingFailure(error, topic: properties.topic)
        }
        for key in unknown where Self.nearestSetting(to: key).map({ $0 != key }) ?? false {
            let failure = SourceSettingError(
                key: key, value: properties.clientProperties[key] ?? "",
                reason: "No such configuration property: \"\(key)\"")
            throw Self.settingFailure(failure, topic: properties.topic)
        }
    }

    static func settingFailure(_ error: SourceSettingError, topic: String) -> RoutineLoadError {
        let shown = SecretSettings.shown(error.key, error.value)
        var detail = "failed to set '\(error.key)', value: '\(shown)', err: \(error.reason)"
        if let suggestion = nearestSetting(to: error.key), suggestion != error.key {
            detail += " (did you mean 'property.\(suggestion)'?)"
        }
        return RoutineLoadError(.source, "Failed to get all partitions of kafka topic: \(topic). error: \(detail)")
    }

    /// The job's `property.*` as librdkafka gets them: `FILE:<name>` values (CREATE FILE, catalog
    /// `kafka`, in the job's database) become the stored file's path (spec B.2).
    /// - Throws: StarRocks' `File <name> does not exist in db <id> with globalStateMgr: kafka`.
    func clientSettings(_ properties: JobProperties, database: String) throws(RoutineLoadError) -> [String: String] {
        var settings = properties.clientProperties
        guard settings.values.contains(where: { $0.hasPrefix("FILE:") }) else { return settings }
        let databaseID = engine.metaState.database(named: database)?.id ?? -1
        for (key, value) in settings where value.hasPrefix("FILE:") {
            let name = String(value.dropFirst("FILE:".count))
            guard let stored = engine.storedFile(databaseID: databaseID, catalog: "kafka", name: name) else {
                throw RoutineLoadError(
                    .invalidProperty, "File \(name) does not exist in db \(databaseID) with globalStateMgr: kafka")
            }
            settings[key] = stored.path
        }
        return settings
    }

    /// ``clientSettings(_:database:)`` for a running job: a file dropped since CREATE pauses it
    /// with StarRocks' BE words.
    func runtimeSettings(_ definition: JobDefinition) throws -> [String: String] {
        do {
            return try clientSettings(definition.properties, database: definition.database)
        } catch {
            let key = definition.properties.clientProperties.first { $0.value.hasPrefix("FILE:") }?.key ?? ""
            throw SourceError(.configuration, "PAUSE: failed to get file for config: \(key), error: \(error.message)")
        }
    }

    /// The `property.*` keys people mean most often, for "did you mean" hints.
    package static let commonSettings = [
        "kafka_default_offsets", "group.id", "client.id", "security.protocol", "sasl.mechanism", "sasl.mechanisms",
        "sasl.username", "sasl.password", "ssl.ca.location", "ssl.certificate.location", "ssl.key.location",
        "ssl.key.password", "ssl.endpoint.identification.algorithm", "session.timeout.ms", "fetch.max.bytes",
        "max.partition.fetch.bytes", "isolation.level", "socket.timeout.ms",
    ]

    /// The common key within two edits of `key`, if any.
    package static func nearestSetting(to key: String) -> String? {
        let candidates = commonSettings.map { ($0, EditDistance.between(key.lowercased(), $0)) }.filter { $0.1 <= 2 }
        return candidates.min { $0.1 < $1.1 }?.0
    }
}
