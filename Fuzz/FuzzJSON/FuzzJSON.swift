import CLibFuzzer
import SluiceFormat
import SluiceLoad

/// libFuzzer entry point for the JSON reader. The first two bytes choose the reading mode
/// (`strip_outer_array`, `json_root`, `jsonpaths`) and where the body is cut into two chunks;
/// the rest is the body. Reading may reject rows or fail the load; it must never crash, hang or
/// grow memory beyond the body (libFuzzer's -rss_limit_mb catches that).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var options = LoadOptions()
    options.format = .json
    options.stripOuterArray = bytes[0] & 1 == 1
    if bytes[0] & 2 == 2 { options.jsonRoot = "$.data" }
    if bytes[0] & 4 == 4 { options.jsonPaths = ["$.id", "$.name", "$.tags[0]"] }
    options.maxJSONValueBytes = 1 << 16
    let fieldTypes: [ColumnType?] = [.bigint, .varchar(length: 32), nil]
    guard var reader = try? JSONRowReader(options: options, fieldNames: ["id", "name", "tags"], fieldTypes: fieldTypes)
    else {
        return 0
    }
    reader.batchRows = 8
    let body = Array(bytes[2...])
    let cut = body.isEmpty ? 0 : Int(bytes[1]) % (body.count + 1)
    var rows = 0
    let emit: JSONRowReader.Emit = { fields, _, raws in
        precondition(fields.allSatisfy { $0.count == raws.count }, "field columns and raw rows disagree")
        rows += raws.count
    }
    do {
        for chunk in [body[..<cut], body[cut...]] {
            try Array(chunk).withUnsafeBytes { try reader.consume($0, emit: emit) }
        }
        try reader.finish(emit: emit)
    } catch {
        return 0
    }
    return 0
}

/// The executable's entry point (SwiftPM calls it `FuzzJSON_main`): libFuzzer's driver.
@_cdecl("FuzzJSON_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    sluice_fuzz_main(argc, argv) { data, size in fuzzJSON(data!, size) }
}
