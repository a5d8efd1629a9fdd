import SluiceFormat
import Testing

@Suite struct EncodingTests {
    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        let long = (0..<1000).map { UInt8($0 % 251) }
        let chained = CRC32C.checksum(Array(long[500...]), continuing: CRC32C.checksum(Array(long[..<500])))
        #expect(chained == CRC32C.checksum(long))
        // The CPU instruction path (when present) and the table path agree at every length/offset.
        var rng = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 4093] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            bytes.withUnsafeBytes { b in
                #expect(CRC32C.checksum(b, continuing: 0x1234) == CRC32C.software(b, continuing: 0x1234))
            }
        }
    }

    static func roundTrip(_ values: [Int64]) throws -> (IntegerEncoding, [Int64]) {
        var writer = ByteWriter()
        let encoding = values.withUnsafeBufferPointer { IntegerCodec.encode($0, into: &writer) }
        var reader = ByteReader(writer.bytes)
        var out = [Int64]()
        try IntegerCodec.decode(count: values.count, from: &reader, into: &out)
        #expect(reader.isAtEnd)
        return (encoding, out)
    }

    @Test func integerEncodingsPickTheSmallestAndRoundTrip() throws {
        let constant = [Int64](repeating: 42, count: 5000)
        let sorted = (0..<5000).map { Int64(1_700_000_000_000 + $0 * 1000) }
        let small = (0..<5000).map { Int64($0 % 13) }
        var rng = SystemRandomNumberGenerator()
        let random = (0..<5000).map { _ in Int64.random(in: .min ... .max, using: &rng) }
        #expect(try Self.roundTrip(constant) == (.runLength, constant))
        #expect(try Self.roundTrip(sorted).1 == sorted)
        #expect(try Self.roundTrip(sorted).0 == .delta || (try Self.roundTrip(sorted).0) == .bitPacked)
        #expect(try Self.roundTrip(small) == (.bitPacked, small))
        #expect(try Self.roundTrip(random).1 == random)
        #expect(try Self.roundTrip([Int64.min, Int64.max, 0]).1 == [Int64.min, Int64.max, 0])
        for width in 1...64 {
            let values = (0..<77).map {
                Int64(bitPattern: UInt64($0 * 2_654_435_761) & (width == 64 ? ~0 : (1 << UInt64(width)) - 1))
            }
            #expect(try Self.roundTrip(values).1 == values, "width \(width)")
        }
    }

    @Test func pagesRoundTripEveryLaneWithNulls() throws {
        var strings = ColumnVector(type: .varchar(length: 20))
        var text = ColumnVector(type: .string)
        for i in 0..<3000 {
            if i % 7 == 0 { strings.appendNull() } else { strings.append(.string("country_\(i % 5)")) }
            text.append(.string("unique value \(i)"))
        }
        let columns = [
            ColumnVector(
                type: .bigint, ints: (0..<3000).map { Int64($0) }, nulls: (0..<3000).map { $0 % 11 == 0 ? 1 : 0 }),
            ColumnVector(type: .decimal(precision: 38, scale: 2), wides: (0..<3000).map { Int128($0) << 70 }),
            ColumnVector(type: .decimal(precision: 10, scale: 2), wides: (0..<3000).map { Int128($0) * 3 }),
            ColumnVector(type: .double, doubles: (0..<3000).map { Double($0) / 3 }),
            strings, text,
        ]
        for column in columns {
            let (bytes, zone) = PageCodec.encode(column, range: 100..<2100)
            var decoded = ColumnVector(type: column.type)
            try PageCodec.decode(bytes, into: &decoded)
            #expect(decoded.count == 2000)
            for r in 0..<2000 { #expect(decoded.value(at: r) == column.value(at: r + 100)) }
            #expect(zone != nil)
        }
        let (dictionaryPage, _) = PageCodec.encode(strings, range: 0..<3000)
        let (plainPage, _) = PageCodec.encode(text, range: 0..<3000)
        #expect(dictionaryPage.count < 3000)
        #expect(plainPage.count < 3000 * 10, "repetitive text is LZ4-compressed")
        #expect(plainPage[1] == 0x80, "layout flag: LZ4 payload")
    }

    @Test func stringPagesAreCompressedOnlyWhenItPays() throws {
        var state: UInt64 = 7
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var noise = ColumnVector(type: .string)
        var urls = ColumnVector(type: .string)
        for i in 0..<4000 {
            noise.append(.string(String((0..<24).map { _ in Character(UnicodeScalar(UInt8(33 + next() % 90))) })))
            urls.append(.string("https://example.com/" + String(repeating: "abc", count: i % 17) + "/p/\(i)"))
        }
        let (noisePage, _) = PageCodec.encode(noise, range: 0..<4000)
        #expect(noisePage[1] == 0, "incompressible strings stay plain")
        let (urlPage, _) = PageCodec.encode(urls, range: 0..<4000)
        #expect(urlPage[1] == 0x80)
        for (column, page) in [(noise, noisePage), (urls, urlPage)] {
            var decoded = ColumnVector(type: .string)
            try PageCodec.decode(page, into: &decoded)
            #expect((0..<4000).allSatisfy { decoded.value(at: $0) == column.value(at: $0) })
        }
        // A damaged block under a valid checksum is still caught by the decompressor.
        var damaged = Array(urlPage.dropLast(4))
        damaged[damaged.count / 2] ^= 0xFF
        damaged[damaged.count - 1] ^= 0xFF
        var framed = ByteWriter()
        framed.write(bytes: damaged)
        framed.write(CRC32C.checksum(damaged))
        var decoded = ColumnVector(type: .string)
        #expect(throws: FormatError.self) { try PageCodec.decode(framed.bytes, into: &decoded) }
    }

    @Test func corruptPagesAreReportedNotCrashed() throws {
        let column = ColumnVector(type: .bigint, ints: Array(0..<100))
        var (bytes, _) = PageCodec.encode(column, range: 0..<100)
        bytes[5] ^= 0x40
        var decoded = ColumnVector(type: .bigint)
        #expect(throws: FormatError.self) { try PageCodec.decode(bytes, into: &decoded, baseOffset: 4096) }
        do {
            try PageCodec.decode(bytes, into: &decoded, baseOffset: 4096)
        } catch {
            #expect(error.offset == 4096)
        }
        #expect(throws: FormatError.self) { try PageCodec.decode(Array(bytes.prefix(3)), into: &decoded) }
    }

    @Test func segmentsRoundTripAndRejectDamage() throws {
        let ids = ColumnVector(type: .bigint, ints: (0..<20_000).map { Int64($0) })
        let (file, footer) = SegmentWriter.encode(columnIDs: [7], columns: [ids])
        let read = try SegmentReader.footer(fileSize: file.count) { Array(file[$0..<($0 + $1)]) }
        #expect(read == footer)
        #expect(read.columns[0].pages.count == 3)
        #expect(read.columns[0].pages[0].zone == .init(min: .int(0), max: .int(8191)))
        var damaged = file
        damaged[damaged.count - 20] ^= 1
        #expect(throws: FormatError.self) {
            _ = try SegmentReader.footer(fileSize: damaged.count) { Array(damaged[$0..<($0 + $1)]) }
        }
    }

    @Test func valuesParseAndFormatLikeStarRocks() {
        #expect(
            ValueParser.parse("2024-02-29", as: .date) == .success(.int(CivilTime.days(year: 2024, month: 2, day: 29))))
        #expect(ValueParser.parse("2023-02-29", as: .date) == .failure(.invalid))
        #expect(ValueParser.parse("TRUE", as: .boolean) == .success(.int(1)))
        #expect(ValueParser.parse("128", as: .tinyint) == .failure(.outOfRange))
        #expect(ValueParser.parse("12.345", as: .decimal(precision: 5, scale: 2)) == .success(.wide(1235)))
        #expect(ValueParser.parse("1234.5", as: .decimal(precision: 5, scale: 2)) == .failure(.outOfRange))
        #expect(ValueParser.parse("abcdef", as: .varchar(length: 3)) == .failure(.tooLong))
        #expect(
            CivilTime.formatDateTime(CivilTime.parseDateTime("2024-01-02 03:04:05.5")!) == "2024-01-02 03:04:05.500000")
        #expect(DecimalArithmetic.format(-5, scale: 2) == "-0.05")
    }
}

@Suite struct ColumnVectorTests {
    /// Gathers and per-row appends of every lane, with and without NULLs, against the values.
    @Test func gatherAndAppendRowsKeepValuesAndNulls() {
        let strings = ColumnVector(
            type: .string, offsets: [0, 1, 1, 4, 9], bytes: Array("aabcdefgh".utf8), nulls: [0, 1, 0, 0])
        let columns = [
            ColumnVector(type: .bigint, ints: [10, 20, 30, 40], nulls: [0, 0, 1, 0]),
            ColumnVector(type: .decimal(precision: 20, scale: 2), wides: [1, 2, 3, 4]),
            ColumnVector(type: .double, doubles: [0.5, 1.5, 2.5, 3.5]),
            strings,
        ]
        let picks = [3, 0, 3, 1, 2]
        for column in columns {
            let gathered = column.gather(picks)
            #expect(gathered.count == picks.count)
            for (k, i) in picks.enumerated() {
                #expect(gathered.value(at: k) == column.value(at: i), "\(column.type) row \(k)")
            }
            var appended = column.gather([0])
            appended.append(from: column, rows: picks)
            #expect(appended.count == picks.count + 1)
            for (k, i) in picks.enumerated() { #expect(appended.value(at: k + 1) == column.value(at: i)) }
            #expect(column.gather([0, 3]).hasNulls == false, "no NULL picked: no null bitmap")
        }
        #expect(strings.gather([2, 3]).byteSlice(1) == Array("defgh".utf8)[...])
    }
}
