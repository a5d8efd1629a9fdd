import Foundation
import SluiceFormat
import SluiceLoad
import SluiceStorage
import SluiceTesting
import Testing

/// Avro messages through a whole load (framing → writer schema → row → table), in process, with
/// the registry replaced by a dictionary of schema texts (spec A.3–A.5; the scenarios over Kafka
/// and a real registry are in the Routine Load tests).
@Suite struct AvroLoadTests {
    static let schemas: [Int32: String] = [
        1: #"{"type":"record","name":"r","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}"#,
        2: #"{"type":"record","name":"r","fields":[{"name":"name","type":"string"},{"name":"id","type":"long"},"#
            + #"{"name":"extra","type":"int"}]}"#,
        3: #"{"type":"record","name":"r","fields":[{"name":"ID","type":"long"}]}"#,
        5: """
        {"type":"record","name":"sensor_log","fields":[{"name":"id","type":"long"},
          {"name":"data","type":["null",{"type":"record","name":"d","fields":[
            {"name":"data_x","type":"boolean"},{"name":"data_y","type":"long"}]}]}]}
        """,
        6: """
        {"type":"record","name":"kinds","fields":[{"name":"id","type":"long"},
          {"name":"kind","type":{"type":"enum","name":"k","symbols":["TEMPERATURE","HUMIDITY","AIR-PRESSURE"]}},
          {"name":"rec","type":{"type":"record","name":"x","fields":[{"name":"a","type":["null","string"]},
            {"name":"b","type":"long"}]}},
          {"name":"m","type":{"type":"map","values":"long"}},
          {"name":"flag","type":"boolean"},{"name":"ratio","type":"double"},{"name":"share","type":"double"}]}
        """,
        7: #""bytes""#,
        8: #"{"type":"record","name":"a","fields":[{"name":"id","type":"long"},"#
            + #"{"name":"tags","type":{"type":"array","items":"int"}},"#
            + #"{"name":"words","type":{"type":"array","items":["null","string"]}}]}"#,
    ]

    /// A cache whose registry is ``schemas``, counting fetches; id 99 is unknown (404).
    static func cache(failing: Bool = false) -> AvroSchemaCache {
        AvroSchemaCache { _, id throws(AvroError) in
            if failing { throw AvroError(code: .registry, "REST request failed (code 503): unavailable") }
            guard let text = schemas[id] else {
                throw AvroError(code: .registry, #"REST request failed (code 404): {"error_code":40403}"#)
            }
            return text
        }
    }

    static func engine(_ columns: [ColumnSchema]) throws -> StorageEngine {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        try engine.createDatabase("db")
        try engine.createTable(
            database: "db",
            TableDefinition(
                name: "t", columns: columns, keyColumns: [columns[0].name],
                distribution: Distribution(columns: [columns[0].name], buckets: 1)))
        return engine
    }

    /// Loads `messages` (each framed with its 4-byte length, fed in chunks of `chunk` bytes).
    static func load(
        _ engine: StorageEngine, _ messages: [[UInt8]], chunk: Int = 1 << 20, failing: Bool = false,
        configure: (inout LoadOptions) -> Void = { _ in }
    ) throws -> LoadSession {
        var options = LoadOptions()
        options.format = .avro
        options.maxFilterRatio = 1
        options.avro = AvroSource(registry: "http://registry", schemas: cache(failing: failing))
        configure(&options)
        let session = try LoadSession(
            engine: engine, table: try engine.table(database: "db", name: "t"), options: options)
        var body = [UInt8]()
        for message in messages {
            body += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: UInt32(message.count) >> $0) } + message
        }
        var start = 0
        while start < body.count {
            let end = min(body.count, start + chunk)
            try body[start..<end].withUnsafeBytes { try session.consume($0) }
            start = end
        }
        let write = try session.finish()
        try engine.commit(write, label: "avro-\(UUID().uuidString)")
        return session
    }

    static func rows(_ engine: StorageEngine) throws -> [[String?]] {
        let table = try engine.table(database: "db", name: "t")
        let scan = engine.scan(table, columns: Array(table.schema.columns.indices))
        var rows = [[String?]]()
        while let batch = try scan.next() {
            for r in 0..<batch[0].count { rows.append(batch.map { $0.value(at: r).text(as: $0.type) }) }
        }
        return rows.sorted { Int($0[0]!)! < Int($1[0]!)! }
    }

    static let idName = [
        ColumnSchema(id: 0, name: "id", type: .bigint, isNullable: false),
        ColumnSchema(id: 0, name: "name", type: .varchar(length: 26)),
    ]

    @Test func eachMessageIsReadUnderItsOwnWriterSchemaAndMatchedByName() throws {
        let engine = try Self.engine(Self.idName)
        // A.12 scenarios 1 and 2: id 1 (id, name), id 2 (name, id, extra) in another order, id 3
        // (only ID, matched case-insensitively); frames cut across chunks of 3 bytes.
        let messages = [
            AvroBytes.framed(1) {
                $0.long(1); $0.string("a")
            },
            AvroBytes.framed(2) {
                $0.string("b"); $0.long(2); $0.long(9)
            },
            AvroBytes.framed(3) { $0.long(3) },
            AvroBytes.framed(1) {
                $0.long(4); $0.string("d")
            },
        ]
        #expect(messages[0] == [0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x02, 0x61])
        let session = try Self.load(engine, messages, chunk: 3)
        #expect(try Self.rows(engine) == [["1", "a"], ["2", "b"], ["3", nil], ["4", "d"]])
        #expect(session.counters.filteredRows == 0)
    }

    @Test func unreadableMessagesAreRejectedRowsWithLibserdesWords() throws {
        let engine = try Self.engine(Self.idName)
        let messages = [
            [0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x02, 0x61],  // bad magic byte
            [0x00, 0x00, 0x01],  // shorter than the framing
            AvroBytes.framed(1) { $0.long(5) },  // the name is missing: the body ends early
            AvroBytes.framed(1) {
                $0.long(6); $0.string("ok")
            },
        ]
        let session = try Self.load(engine, messages)
        #expect(try Self.rows(engine) == [["6", "ok"]])
        #expect(session.counters.filteredRows == 3)
        let entries = session.errorLog.entries
        #expect(entries.count == 3)
        #expect(entries[0].contains("serdes deserialize avro failed: Invalid CP1 magic byte 1, expected 0"))
        #expect(entries[0].contains("Row: hex 0100000001020261"))
        #expect(entries[1].contains("serdes deserialize avro failed: Payload is smaller (3) than framing (5)"))
        #expect(entries[2].contains("serdes deserialize avro failed: Failed to read avro value"))
    }

    @Test func aRegistryThatCannotAnswerFailsTheLoadNotTheMessage() throws {
        let engine = try Self.engine(Self.idName)
        #expect {
            _ = try Self.load(
                engine,
                [
                    AvroBytes.framed(1) {
                        $0.long(1); $0.string("a")
                    }
                ], failing: true)
        } throws: { ($0 as? LoadError)?.code == .schemaRegistry && "\($0)".contains("REST request failed (code 503)") }
        #expect {
            _ = try Self.load(engine, [AvroBytes.framed(99) { $0.long(1) }])
        } throws: { ($0 as? LoadError)?.code == .schemaRegistry && "\($0)".contains("REST request failed (code 404)") }
        #expect(try Self.rows(engine).isEmpty)
    }

    @Test func matchedModeWalksNestedRecordsThroughUnions() throws {
        let engine = try Self.engine([
            ColumnSchema(id: 0, name: "id", type: .bigint, isNullable: false),
            ColumnSchema(id: 0, name: "data_y", type: .bigint),
        ])
        // A.12 scenarios 3 and 4: `$.data.data_y` through ["null", record]; the legacy `.*` form too.
        let messages = [
            AvroBytes.framed(5) {
                $0.long(1); $0.long(0)
            },
            AvroBytes.framed(5) {
                $0.long(2); $0.long(1); $0.byte(1); $0.long(42)
            },
        ]
        _ = try Self.load(engine, messages) {
            $0.jsonPaths = ["$.id", "$.data.*.data_y"]
            $0.columns = "id, data_y"
        }
        #expect(try Self.rows(engine) == [["1", nil], ["2", "42"]])
    }

    @Test func valuesBecomeTheTextsTheLegacyReaderGives() throws {
        let engine = try Self.engine([
            ColumnSchema(id: 0, name: "id", type: .bigint, isNullable: false),
            ColumnSchema(id: 0, name: "kind", type: .varchar(length: 20)),
            ColumnSchema(id: 0, name: "rec", type: .json),
            ColumnSchema(id: 0, name: "m", type: .json),
            ColumnSchema(id: 0, name: "flag", type: .varchar(length: 5)),
            ColumnSchema(id: 0, name: "ratio", type: .varchar(length: 20)),
            ColumnSchema(id: 0, name: "share", type: .double),
        ])
        // A.12 scenarios 5, 6 and 8; booleans into VARCHAR as 1/0, doubles as std::to_string
        // into VARCHAR and exactly into DOUBLE.
        let message = AvroBytes.framed(6) {
            $0.long(1)
            $0.long(1)  // HUMIDITY
            $0.long(1)
            $0.string("x")
            $0.long(5)  // rec = {a: "x", b: 5}
            $0.long(1)
            $0.string("k")
            $0.long(1)
            $0.long(0)  // m = {"k": 1}
            $0.byte(1)  // flag
            $0.double(1.5)
            $0.double(0.1)
        }
        _ = try Self.load(engine, [message])
        let row = try #require(try Self.rows(engine).first)
        #expect(row[1] == "HUMIDITY")
        #expect(
            try JSONSerialization.jsonObject(with: Data(row[2]!.utf8)) as? NSDictionary
                == ["a": ["string": "x"], "b": 5] as NSDictionary)
        #expect(try JSONSerialization.jsonObject(with: Data(row[3]!.utf8)) as? NSDictionary == ["k": 1] as NSDictionary)
        #expect(row[4] == "1")
        #expect(row[5] == "1.500000")
        #expect(row[6] == "0.1")
    }

    @Test func arraysFillArrayColumns() throws {
        let engine = try Self.engine([
            ColumnSchema(id: 0, name: "id", type: .bigint, isNullable: false),
            ColumnSchema(id: 0, name: "tags", type: .array(.int)),
            ColumnSchema(id: 0, name: "words", type: .array(.varchar(length: 5))),
        ])
        // A.12 scenario 7 (and unions inside the array, stepped through).
        let message = AvroBytes.framed(8) {
            $0.long(1)
            $0.long(3)
            $0.long(1)
            $0.long(2)
            $0.long(3)
            $0.long(0)  // tags = [1, 2, 3]
            $0.long(2)
            $0.long(1)
            $0.string("x")
            $0.long(0)
            $0.long(0)  // words = ["x", null]
        }
        _ = try Self.load(engine, [message])
        #expect(try Self.rows(engine) == [["1", "[1,2,3]", #"["x",null]"#]])
    }

    @Test func aBareBytesSchemaTakesTheWholePayload() throws {
        let engine = try Self.engine([
            ColumnSchema(id: 0, name: "id", type: .bigint, isNullable: false),
            ColumnSchema(id: 0, name: "v", type: .varchar(length: 10)),
        ])
        // A.12 scenario 18: no length prefix inside (the Java serializer's form).
        _ = try Self.load(engine, [[0x00, 0x00, 0x00, 0x00, 0x07, 0x41, 0x42]]) {
            $0.jsonPaths = ["$"]
            $0.columns = "v, id = 7"
        }
        #expect(try Self.rows(engine) == [["7", "AB"]])
    }
}

/// Avro binary encoding for test payloads (zig-zag varints, length-prefixed strings, IEEE doubles).
enum AvroBytes {
    struct Writer {
        var bytes: [UInt8] = []

        mutating func byte(_ b: UInt8) { bytes.append(b) }

        mutating func long(_ value: Int64) {
            var raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
            while raw >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: raw) | 0x80)
                raw >>= 7
            }
            bytes.append(UInt8(raw))
        }

        mutating func string(_ text: String) {
            long(Int64(text.utf8.count))
            bytes += Array(text.utf8)
        }

        mutating func double(_ value: Double) {
            let bits = value.bitPattern
            for shift in stride(from: 0, to: 64, by: 8) {
                bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
            }
        }
    }

    /// Magic byte, big-endian schema id, then the datum `write` encodes.
    static func framed(_ id: Int32, _ write: (inout Writer) -> Void) -> [UInt8] {
        var writer = Writer()
        write(&writer)
        return [0] + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: UInt32(bitPattern: id) >> $0) } + writer.bytes
    }
}
