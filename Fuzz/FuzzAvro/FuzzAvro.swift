import CLibFuzzer
import SluiceLoad

/// libFuzzer entry point for the Avro decoder and Confluent framing. The first byte picks a
/// writer schema (or, when odd, the input's first line is the schema's JSON text); the rest is a
/// framed message. Decoding may fail with an ``AvroError``; it must never crash, hang or allocate
/// beyond the message.
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
    guard let (_, body) = try? ConfluentFraming.split(payload) else { return 0 }
    if let value = try? AvroDecoder(schema: schema).decode(body) {
        _ = value.columnJSON.serialized
    }
    return 0
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
