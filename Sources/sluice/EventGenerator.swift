import SluiceFormat

/// The deterministic `events` rows of the examples and benchmarks (same columns and values as
/// scripts/bench_load.py): event_id, user_id, event_time, event_date, country, device, url,
/// amount, quantity, is_member — as one CSV line per id.
enum EventGenerator {
    static let devices = ["ios", "android", "web", "tv", "car"]
    /// 2025-01-01 00:00:00 UTC.
    static let epochSeconds: Int64 = 1_735_689_600

    /// Appends the CSV line of event `id` (without a newline).
    static func appendLine(_ id: Int64, to out: inout [UInt8]) {
        func text(_ s: String) { out.append(contentsOf: s.utf8) }
        let micros = (epochSeconds + id * 3) * CivilTime.microsPerSecond
        text("\(id),\((id * 7919) % 1_000_000),")
        CivilTime.appendDateTime(micros, to: &out)
        out.append(UInt8(ascii: ","))
        text(CivilTime.formatDate(CivilTime.floorDivide(micros, CivilTime.microsPerDay).0))
        text(",country_\(id % 50),\(devices[Int(id % 5)]),https://example.com/")
        out.append(contentsOf: repeatElement(UInt8(97 + id % 26), count: Int(id % 61)))
        let cents = (id * 31) % 100_000
        let fraction = cents % 100
        text("/p/\(id % 997),\(cents / 100).\(fraction < 10 ? "0" : "")\(fraction),\(id % 10 + 1),\(id % 3 == 0)")
    }
}
