import CLibFuzzer
import SluiceExpr
import SluiceFormat

/// libFuzzer entry point: any bytes as an expression over a small batch with one column of
/// each lane (BIGINT, VARCHAR, DECIMAL, DOUBLE, DATE, DATETIME), with NULLs and edge values.
/// Parse, bind and evaluate may fail with an error; never crash, hang or exhaust memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExpression(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let expr = try? ExprParser.parse(text) else { return 0 }
    let batch = FuzzBatch.columns
    guard let bound = try? ExprBinder(resolver: FuzzBatch.resolver).bind(expr) else { return 0 }
    _ = try? Evaluator.evaluate(bound, batch: batch, rows: FuzzBatch.rows, context: FuzzBatch.context)
    return 0
}

enum FuzzBatch {
    static let rows = 4
    static let names = ["i", "s", "d", "f", "dt", "ts"]
    static let columns: [ColumnVector] = {
        var i = ColumnVector(type: .bigint)
        for v: Value in [.int(0), .int(.max), .int(.min), .null] { i.append(v) }
        var s = ColumnVector(type: .varchar(length: 64))
        for v: Value in [.string(""), .string("abc"), .string("2024-01-15 10:00:00"), .null] { s.append(v) }
        var d = ColumnVector(type: .decimal(precision: 38, scale: 2))
        for v: Value in [
            .wide(0), .wide(DecimalArithmetic.maxUnscaled(precision: 38)),
            .wide(-DecimalArithmetic.maxUnscaled(precision: 38)), .null,
        ] {
            d.append(v)
        }
        var f = ColumnVector(type: .double)
        for v: Value in [.double(0), .double(.infinity), .double(.nan), .double(-1e308)] { f.append(v) }
        var dt = ColumnVector(type: .date)
        for v: Value in [.int(0), .int(2_932_896), .int(-719_162), .null] { dt.append(v) }
        var ts = ColumnVector(type: .datetime)
        for v: Value in [.int(0), .int(253_402_300_799_000_000), .int(-62_135_596_800_000_000), .null] { ts.append(v) }
        return [i, s, d, f, dt, ts]
    }()
    static let resolver = NameResolver(names: names, types: columns.map(\.type))
    static let context = EvaluationContext(timeZone: SessionTimeZone("UTC")!, nowMicros: 1_700_000_000_000_000)
}

/// The executable's entry point (SwiftPM calls it `FuzzExpression_main`): libFuzzer's driver.
@_cdecl("FuzzExpression_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    sluice_fuzz_main(argc, argv) { data, size in fuzzExpression(data!, size) }
}
