import Foundation
import SluiceLoad
import SluiceTesting
import Synchronization
import Testing

/// The pure-Swift Avro decoder and Confluent framing against the spec's byte examples (A.2,
/// A.12) and hand-encoded data.
@Suite struct AvroDecoderTests {
    static let recordSchema =
        #"{"type":"record","name":"r","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}"#

    static func decode(_ schema: String, _ bytes: [UInt8]) throws -> AvroValue {
        try AvroDecoder(schema: AvroSchema(json: schema)).decode(bytes[...])
    }

    @Test func framingAndARecordAsTheSpecWritesThem() throws {
        let message: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x02, 0x61]
        let (id, body) = try ConfluentFraming.split(message[...])
        #expect(id == 1)
        let value = try AvroDecoder(schema: AvroSchema(json: Self.recordSchema)).decode(body)
        #expect(value == .record([("id", .long(1)), ("name", .string(Array("a".utf8)))]))
        #expect(String(decoding: value.legacyJSON.serialized, as: UTF8.self) == #"{"id":1,"name":"a"}"#)
    }

    @Test func framingErrorsUseLibserdesTexts() throws {
        #expect(throws: AvroError(code: .framing, "Payload is smaller (3) than framing (5)")) {
            try ConfluentFraming.split([0, 0, 1][...])
        }
        #expect(throws: AvroError(code: .framing, "Invalid CP1 magic byte 1, expected 0")) {
            try ConfluentFraming.split([1, 0, 0, 0, 1, 2, 2, 0x61][...])
        }
        // The id is big-endian and signed.
        #expect(try ConfluentFraming.split([0, 0, 0, 1, 0][...]).schemaID == 256)
    }

    @Test func logicalTypesKeepTheirUnderlyingValues() throws {
        let schema =
            #"{"type":"record","name":"l","fields":[{"name":"d","type":{"type":"int","logicalType":"date"}},"#
            + #"{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}}]}"#
        let value = try Self.decode(schema, [0x96, 0xb4, 0x02, 0x80, 0xd0, 0x8f, 0xa5, 0x98, 0x63])
        #expect(value == .record([("d", .int(19723)), ("ts", .long(1_704_067_200_000))]))
    }

    @Test func unionsEnumsArraysMapsAndNestedRecords() throws {
        let schema = """
            {"type":"record","name":"s","namespace":"ns","fields":[
              {"name":"data","type":["null",{"type":"record","name":"inner","fields":[
                {"name":"a","type":["null","string"]},{"name":"b","type":"long"}]}]},
              {"name":"kind","type":{"type":"enum","name":"k","symbols":["TEMPERATURE","HUMIDITY"]}},
              {"name":"tags","type":{"type":"array","items":"int"}},
              {"name":"m","type":{"type":"map","values":"long"}},
              {"name":"again","type":["null","inner"]}]}
            """
        // data = union 1 → inner{a = union 1 "x", b = 5}; kind = 1; tags = [1,2,3] in one block;
        // m = {"k": 1} in a block with a byte size (negative count); again = null.
        let bytes: [UInt8] = [
            0x02, 0x02, 0x02, 0x78, 0x0a,  // data
            0x02,  // kind
            0x06, 0x02, 0x04, 0x06, 0x00,  // tags
            0x01, 0x06, 0x02, 0x6b, 0x02, 0x00,  // m: count -1, size 3, "k", 1, end
            0x00,  // again
        ]
        let value = try Self.decode(schema, bytes)
        guard case .record(let fields) = value else {
            Issue.record("not a record: \(value)")
            return
        }
        #expect(fields.map(\.name) == ["data", "kind", "tags", "m", "again"])
        #expect(fields[1].value == .enumeration(symbol: "HUMIDITY"))
        #expect(fields[2].value == .array([.int(1), .int(2), .int(3)]))
        #expect(fields[4].value == .null)
        // Legacy rendering wraps non-null unions inside containers by branch name.
        #expect(
            String(decoding: fields[0].value.columnJSON.serialized, as: UTF8.self) == #"{"a":{"string":"x"},"b":5}"#)
        #expect(String(decoding: fields[3].value.columnJSON.serialized, as: UTF8.self) == #"{"k":1}"#)
        #expect(
            String(decoding: fields[0].value.legacyJSON.serialized, as: UTF8.self)
                == #"{"ns.inner":{"a":{"string":"x"},"b":5}}"#)
    }

    @Test func recursiveSchemasAndTheBareBytesQuirk() throws {
        let list =
            #"{"type":"record","name":"node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","node"]}]}"#
        let value = try Self.decode(list, [0x02, 0x02, 0x04, 0x00])
        #expect(
            value
                == .record([
                    ("v", .int(1)),
                    ("next", .union(branch: "node", value: .record([("v", .int(2)), ("next", .null)]))),
                ]))
        // A bare "bytes" writer schema takes the whole payload (Java serializer compatible).
        #expect(try Self.decode(#""bytes""#, [0x41, 0x42]) == .bytes([0x41, 0x42]))
        #expect(AvroValue.bytes([0x41, 0xE9]).legacyJSON == .string([0x41, 0xC3, 0xA9]))
    }

    @Test func damagedBodiesAreErrorsNotCrashes() throws {
        let schema = try AvroSchema(json: Self.recordSchema)
        let decoder = AvroDecoder(schema: schema)
        for bytes: [UInt8] in [
            [], [0x02], [0x02, 0x7f], [0x02, 0x02], [0x02, 0x02, 0x61, 0x00],
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        ] {
            #expect(throws: AvroError.self, "\(bytes)") { try decoder.decode(bytes[...]) }
        }
        let array = try AvroSchema(json: #"{"type":"array","items":"null"}"#)
        #expect(throws: AvroError.self) { try AvroDecoder(schema: array).decode([0xfe, 0xff, 0xff, 0xff, 0x0f][...]) }
        #expect(throws: AvroError.self) { try AvroSchema(json: #"{"type":"record","name":"x"}"#) }
        #expect(throws: AvroError.self) { try AvroSchema(json: #""nope""#) }
        #expect(throws: AvroError.self) { try AvroSchema(json: "{") }
    }
}

/// `jsonpaths` over Avro datums (spec A.3 step 4).
@Suite struct AvroPathTests {
    static let datum = AvroValue.record([
        ("id", .long(7)),
        ("data", .union(branch: "inner", value: .record([("data_x", .boolean(true)), ("data_y", .long(42))]))),
        ("none", .null),
        ("tags", .array([.int(1), .int(2)])),
        ("m", .map([(Array("k".utf8), .long(1))])),
    ])

    static func at(_ text: String, _ datum: AvroValue = datum) throws -> AvroValue {
        try AvroPath.evaluate(try #require(JSONPath(AvroPath.normalized(text))), in: datum)
    }

    @Test func pathsWalkRecordsUnionsArraysAndMaps() throws {
        #expect(try Self.at("$.id") == .long(7))
        #expect(try Self.at("$.data.data_y") == .long(42))
        #expect(try Self.at("$.data.*.data_y") == .long(42))
        #expect(try Self.at("$.none.data_y") == .null)
        #expect(try Self.at("$.missing") == .null)
        #expect(try Self.at("$.tags[1]") == .int(2))
        #expect(try Self.at("$.tags[5]") == .null)
        #expect(try Self.at("$.m.k") == .long(1))
        #expect(try Self.at("$") == Self.datum)
        #expect(AvroPath.normalized("$.k1.*") == "$.k1")
    }

    @Test func pathsThroughScalarsOrIntoRootArraysAreErrors() throws {
        #expect(
            throws: AvroError("A non-record type was found during avro parsing. Please check the path you specified")
        ) {
            try Self.at("$.id.x")
        }
        let array = AvroValue.array([.record([("a", .int(1))])])
        #expect(throws: AvroError("The avro root type is an array, and you should select a specific array element.")) {
            try Self.at("$.a", array)
        }
        #expect(try Self.at("$[0].a", array) == .int(1))
    }
}

/// The process-wide writer-schema cache (spec A.5, scenario 14).
@Suite struct AvroSchemaCacheTests {
    @Test func eachIdIsFetchedOnceEvenWhenManyAskTogether() throws {
        let fetches = Mutex<[Int32: Int]>([:])
        let failNext = Mutex(true)
        // The first fetch of id 1 is held until every asker has started asking.
        let started = Mutex(0)
        let gate = DispatchSemaphore(value: 0)
        let cache = AvroSchemaCache { _, id throws(AvroError) in
            fetches.withLock { $0[id, default: 0] += 1 }
            if id == 1, fetches.withLock({ $0[1] }) == 1 { gate.wait() }
            if id == 99 { throw AvroError(code: .registry, "REST request failed (code 404): Schema not found") }
            if id == 2,
                failNext.withLock({
                    let fail = $0; $0 = false; return fail
                })
            {
                throw AvroError(code: .registry, "REST request failed (code 500): boom")
            }
            return AvroDecoderTests.recordSchema
        }
        let done = DispatchGroup()
        for _ in 0..<8 {
            done.enter()
            Thread {
                started.withLock { $0 += 1 }
                _ = try? cache.decoder(registry: "http://r", id: 1)
                done.leave()
            }.start()
        }
        #expect(Eventually.until(timeout: .seconds(30), poll: .milliseconds(5)) { started.withLock { $0 } == 8 })
        gate.signal()
        done.wait()
        #expect(fetches.withLock { $0[1] } == 1)
        #expect(throws: AvroError(code: .registry, "REST request failed (code 404): Schema not found")) {
            try cache.decoder(registry: "http://r", id: 99)
        }
        // A failure is not cached: the next message asks again and gets the schema.
        #expect(throws: AvroError.self) { try cache.decoder(registry: "http://r", id: 2) }
        _ = try cache.decoder(registry: "http://r", id: 2)
        #expect(fetches.withLock { $0[2] } == 2)
        // Another registry is another id space.
        _ = try cache.decoder(registry: "http://other", id: 1)
        #expect(fetches.withLock { $0[1] } == 2)
        #expect(cache.count == 3)
    }
}
