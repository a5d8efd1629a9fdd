import CLibFuzzer
import SluiceFormat
import SluiceLoad

/// libFuzzer entry point for the Avro decoder, Confluent framing and the row reader. The first
/// byte picks a writer schema (or, when odd, the input's first line is the schema's JSON text);
/// the rest is a framed message. It is decoded as a value, and read as a load body (behind its
/// length, plus a truncated copy) in simple mode and — when bit 1 of the first byte is set — in
/// matched mode. Decoding may fail with an ``AvroError`` or a rejected row; it must never crash,
/// hang or allocate beyond the message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAvro(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var payload = bytes[1...]
    let text: String
    if bytes[0] & 1 == 1 {
        let end = payload.firstIndex(of: 0x0a) ?? payload.endIndex
        text = String(decoding: payload[..<end], as: UTF8.self)
        payload = end < payload.endIndex ? payload[(end + 1)...] : []
    } else {
        text = schemas[Int(bytes[0] >> 1) % schemas.count]
    }
    guard let schema = try? AvroSchema(json: text) else { return 0 }
    if let (_, body) = try? ConfluentFraming.split(payload), let value = try? AvroDecoder(schema: schema).decode(body) {
        _ = value.columnJSON.serialized
    }
    readRows(Array(payload), schema: text, matched: bytes[0] & 2 == 2)
    return 0
}

/// The payload as a one-message load body (and a body cut inside it), read into source columns.
private func readRows(_ payload: [UInt8], schema: String, matched: Bool) {
    var options = LoadOptions()
    options.format = .avro
    if matched { options.jsonPaths = ["$.id", "$.next.v", "$.k.*", "$"] }
    let source = AvroSource(registry: "fuzz", schemas: AvroSchemaCache { _, _ throws(AvroError) in schema })
    let names = matched ? ["id", "v", "k", "all"] : ["id", "name", "v", "next", "k", "f", "b", "x"]
    let types: [ColumnType?] =
        matched
        ? [.bigint, .int, .varchar(length: 8), .json]
        : [.bigint, .varchar(length: 10), nil, .json, .string, .string, .boolean, .double]
    let length = UInt32(truncatingIfNeeded: payload.count)
    let body = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) } + payload
    for cut in [body.count, max(0, body.count - 1)] {
        guard var reader = try? AvroRowReader(source: source, options: options, fieldNames: names, fieldTypes: types)
        else { return }
        let emit: AvroRowReader.Emit = { fields, _, raws in
            precondition(fields.allSatisfy { $0.count == raws.count }, "every field has a value per row")
        }
        _ = try? body[..<cut].withUnsafeBytes { try reader.consume($0, emit: emit) }
        _ = try? reader.finish(emit: emit)
    }
}

/// The executable's entry point (SwiftPM calls it `FuzzAvro_main`): libFuzzer's driver.
@_cdecl("FuzzAvro_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    sluice_fuzz_main(argc, argv) { data, size in fuzzAvro(data!, size) }
}

private let schemas = [
    #"{"type":"record","name":"r","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}"#,
    #"{"type":"record","name":"n","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","n"]}]}"#,
    #"{"type":"map","values":{"type":"array","items":["null","double","bytes"]}}"#,
    #"{"type":"record","name":"e","fields":[{"name":"k","type":{"type":"enum","name":"k","symbols":["A","B"]}},"#
        + #"{"name":"f","type":{"type":"fixed","name":"f","size":3}},{"name":"b","type":"boolean"},"#
        + #"{"name":"x","type":"float"}]}"#,
    #""bytes""#,
]
