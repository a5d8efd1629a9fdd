import CLibFuzzer
import SluiceSQL

/// libFuzzer entry point: any bytes as one SQL statement. Parsing may fail with an error; it
/// must never crash, hang or exhaust memory (scripts/fuzz.sh FuzzSQLParser SECONDS).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSQLParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? SQLParser.parse(text)
    return 0
}

/// The executable's entry point (SwiftPM calls it `FuzzSQLParser_main`): libFuzzer's driver.
@_cdecl("FuzzSQLParser_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    sluice_fuzz_main(argc, argv) { data, size in fuzzSQLParser(data!, size) }
}
