import CLibFuzzer
import SluiceLoad

/// libFuzzer entry point for the CSV scanner. The first four bytes choose the separator, the
/// row delimiter, the enclose and escape characters and where the body is cut into two chunks;
/// the rest is the body. Scanning in two chunks must give exactly the rows and fields of
/// scanning it whole (a differential check), and never crash or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 4 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let separators: [[UInt8]] = [[9], [44], [124], [44, 44], [1]]
    let delimiters: [[UInt8]] = [[10], [13, 10], [0x02], [124, 124]]
    var format = CSVFormat(
        columnSeparator: separators[Int(bytes[0]) % separators.count],
        rowDelimiter: delimiters[Int(bytes[1]) % delimiters.count])
    if bytes[2] & 1 == 1 { format.enclose = 34 }
    if bytes[2] & 2 == 2 { format.escape = 92 }
    let body = Array(bytes[4...])
    let cut = body.isEmpty ? 0 : Int(bytes[3]) % (body.count + 1)
    let whole = scan(format, [body])
    let split = scan(format, [Array(body[..<cut]), Array(body[cut...])])
    if whole != split {
        fatalError("CSV scan differs when the body is cut at \(cut): \(whole) vs \(split)")
    }
    return 0
}

/// Every row's fields as byte arrays.
func scan(_ format: CSVFormat, _ chunks: [[UInt8]]) -> [[[UInt8]]] {
    var scanner = CSVScanner(format: format)
    var rows = [[[UInt8]]]()
    let emit: (UnsafeRawBufferPointer, CSVRows) -> Void = { base, batch in
        for r in 0..<batch.count {
            var fields = [[UInt8]]()
            for f in batch.rowFields[r]..<batch.rowFields[r + 1] {
                let (start, end) = (batch.fieldStarts[f], batch.fieldEnds[f])
                fields.append(start < 0 ? Array(batch.unescaped[(-start - 1)..<end]) : Array(base[start..<end]))
            }
            rows.append(fields)
        }
    }
    for chunk in chunks { chunk.withUnsafeBytes { scanner.consume($0, emit: emit) } }
    scanner.finish(emit: emit)
    return rows
}

/// The executable's entry point (SwiftPM calls it `FuzzCSV_main`): libFuzzer's driver.
@_cdecl("FuzzCSV_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    sluice_fuzz_main(argc, argv) { data, size in fuzzCSV(data!, size) }
}
