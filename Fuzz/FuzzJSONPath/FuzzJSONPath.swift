import CLibFuzzer
import SluiceLoad

/// libFuzzer entry point for `jsonpaths` and `json_root`: the input's first line is a path (or a
/// JSON array of paths, as the `jsonpaths` header gives them), the rest a JSON document the
/// paths are evaluated against. Parsing paths and documents may fail; nothing may crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONPath(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let split = bytes.firstIndex(of: 10) ?? bytes.count
    let pathText = String(decoding: bytes[..<split], as: UTF8.self)
    let document = Array(bytes[min(bytes.count, split + 1)...])
    var paths = [JSONPath]()
    if let path = JSONPath(pathText) { paths.append(path) }
    if case .array(let items)? = try? Array(pathText.utf8).withUnsafeBytes({ try JSONParser.parse($0) }) {
        for case .string(let text) in items.prefix(64) {
            if let path = JSONPath(String(decoding: text, as: UTF8.self)) { paths.append(path) }
        }
    }
    guard let value = try? document.withUnsafeBytes({ try JSONParser.parse($0) }) else { return 0 }
    for path in paths { _ = path.evaluate(value) }
    return 0
}

/// The executable's entry point (SwiftPM calls it `FuzzJSONPath_main`): libFuzzer's driver.
@_cdecl("FuzzJSONPath_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    sluice_fuzz_main(argc, argv) { data, size in fuzzJSONPath(data!, size) }
}
