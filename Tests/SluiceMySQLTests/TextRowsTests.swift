import NIOCore
import SluiceFormat
import SluiceMySQL
import SluiceTesting
import Testing

/// Text result rows rendered column by column match the values' canonical text, for every type,
/// NULLs and length-encoding boundaries (spec §3.3).
@Suite struct TextRowsTests {
    static func column(_ type: ColumnType, _ values: [Value]) -> ColumnVector {
        var column = ColumnVector(type: type)
        for value in values { column.append(value) }
        return column
    }

    @Test func everyTypeRendersItsCanonicalText() throws {
        var generator = SeededRandom(seed: SeededRandom.seedFromEnvironment(default: 42))
        let rows = 300
        func pick<T>(_ make: () -> T) -> [T] { (0..<rows).map { _ in make() } }
        let batch: [ColumnVector] = [
            Self.column(
                .bigint,
                pick {
                    Bool.random(using: &generator)
                        ? .null : .int(Int64.random(in: Int64.min...Int64.max, using: &generator))
                }),
            Self.column(.boolean, pick { .int(Int64.random(in: 0...1, using: &generator)) }),
            Self.column(.int, pick { .int(Int64.random(in: -2_147_483_648...2_147_483_647, using: &generator)) }),
            Self.column(
                .decimal(precision: 38, scale: 4),
                pick { .wide(Int128(Int64.random(in: Int64.min...Int64.max, using: &generator)) * 1_000_003) }),
            Self.column(
                .decimal(precision: 10, scale: 0),
                pick { .wide(Int128(Int64.random(in: -9_999_999_999...9_999_999_999, using: &generator))) }),
            Self.column(
                .decimal(precision: 5, scale: 5),
                pick { .wide(Int128(Int64.random(in: -99_999...99_999, using: &generator))) }),
            Self.column(.date, pick { .int(Int64.random(in: -719_162...2_932_896, using: &generator)) }),
            Self.column(
                .datetime,
                pick {
                    let micros = Int64.random(in: -62_135_596_800_000_000...253_402_300_799_999_999, using: &generator)
                    return .int(Bool.random(using: &generator) ? micros : micros - micros % 1_000_000)
                }),
            Self.column(.double, pick { .double(Double.random(in: -1e20...1e20, using: &generator)) }),
            Self.column(
                .largeint, pick { .wide(Int128(Int64.random(in: Int64.min...Int64.max, using: &generator)) << 40) }),
            Self.column(
                .string,
                pick {
                    .string(
                        String(
                            repeating: "é", count: [0, 1, 125, 126, 30_000, 40_000].randomElement(using: &generator)!))
                }),
        ]
        var writer = PacketWriter(sequence: 1)
        writer.textRows(batch, rows: 10..<rows)
        var buffer = writer.take()
        for row in 10..<rows {
            var expected = WireWriter()
            for column in batch {
                if let text = column.value(at: row).text(as: column.type) {
                    expected.lenencString(text)
                } else {
                    expected.int1(0xFB)
                }
            }
            let header = buffer.readInteger(endianness: .little, as: UInt32.self) ?? 0
            let payload = buffer.readBytes(length: Int(header & 0xFF_FFFF)) ?? []
            #expect(payload == expected.bytes, "row \(row)")
        }
        #expect(buffer.readableBytes == 0)
    }
}
