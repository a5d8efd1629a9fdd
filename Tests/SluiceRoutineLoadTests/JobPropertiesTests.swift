import SluiceRoutineLoad
import Testing

/// Routine Load job properties: defaults and StarRocks' validation messages (spec §3.2, §3.3, §3.12).
@Suite struct JobPropertiesTests {
    static let source = ["kafka_broker_list": "127.0.0.1:9092, 127.0.0.1:9093", "kafka_topic": "events"]

    static func message(_ properties: [String: String], _ source: [String: String] = JobPropertiesTests.source)
        -> String?
    {
        do {
            _ = try JobProperties(properties: properties, source: source)
            return nil
        } catch let error as RoutineLoadError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func defaultsFollowStarRocks() throws {
        let p = try JobProperties(properties: [:], source: Self.source)
        #expect(p.maxBatchInterval == 10)
        #expect(p.maxBatchRows == 200_000)
        #expect(p.maxErrorNumber == 0)
        #expect(p.maxFilterRatio == 1)
        #expect(p.desiredConcurrentNumber == 5)
        #expect(p.defaultOffset == .end)
        #expect(p.brokerList == "127.0.0.1:9092,127.0.0.1:9093")
        #expect(p.partitions == nil)
    }

    @Test(
        arguments: [
            (["foo": "1"], "foo is invalid property"),
            (["max_batch_interval": "4"], "max_batch_interval should >= 5"),
            (["max_batch_rows": "1000"], "max_batch_rows should >= 200000"),
            (["desired_concurrent_number": "0"], "desired_concurrent_number should > 0"),
            (["max_error_number": "-1"], "max_error_number should >= 0"),
            (["max_filter_ratio": "x"], "Incorrect format of max_filter_ratio"),
            (["max_filter_ratio": "1.5"], "max_filter_ratio must between 0.0 and 1.0."),
            (["strict_mode": "yes"], "strict_mode should be a boolean"),
            (["format": "xml"], "Format type is invalid. format=`xml`"),
            (["format": "avro"], "confluent.schema.registry.url is a required property"),
            (["log_rejected_record_num": "-2"], "log_rejected_record_num should >= -1"),
        ] as [([String: String], String)])
    func invalidJobPropertiesAreRefused(properties: [String: String], expected: String) {
        #expect(Self.message(properties) == expected)
    }

    @Test func sourcePropertiesAreValidated() throws {
        #expect(Self.message([:], ["kafka_topic": "t"]) == "kafka_broker_list is a required property")
        #expect(Self.message([:], ["kafka_broker_list": "h:1"]) == "kafka_topic is a required property")
        #expect(
            Self.message([:], Self.source.merging(["kafka_foo": "1"]) { a, _ in a })
                == "kafka_foo is invalid kafka custom property")
        #expect(
            Self.message([:], Self.source.merging(["kafka_partitions": "0,1,2", "kafka_offsets": "1,2"]) { a, _ in a })
                == "Partitions number should be equals to offsets number")
        #expect(
            Self.message([:], Self.source.merging(["kafka_partitions": "0", "kafka_offsets": "-5"]) { a, _ in a })
                == "Can not specify offset smaller than 0")
        #expect(
            Self.message([:], Self.source.merging(["kafka_partitions": "a,b"]) { a, _ in a })
                == "kafka_partitions must be a number string with comma-separated")
        #expect(
            Self.message([:], Self.source.merging(["property.": "x"]) { a, _ in a })
                == "kafka property value could not be a empty string")
        let p = try JobProperties(
            properties: [:],
            source: Self.source.merging([
                "kafka_partitions": "0, 1", "kafka_offsets": "OFFSET_BEGINNING,42", "property.group.id": "g",
                "property.kafka_default_offsets": "offset_beginning", "property.security.protocol": "plaintext",
            ]) { a, _ in a })
        #expect(p.partitions == [0, 1])
        #expect(p.offsets == [.beginning, .offset(42)])
        #expect(p.defaultOffset == .beginning)
        #expect(p.clientProperties == ["group.id": "g", "security.protocol": "plaintext"])
    }
}
