import SluiceFormat
import Testing

/// Segments and pages that are damaged but carry valid checksums (what FuzzSegment produces by
/// repairing CRCs): decoding reports corruption and never traps.
@Suite struct DamagedSegmentTests {
    static func bytes(hex: String) -> [UInt8] {
        var bytes = [UInt8]()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// FuzzSegment's first finding: a bytes page whose value lengths (near 2^63) summed past
    /// `Int.max` trapped the decoder; now the lengths must fit in the page.
    static let lengthOverflow: [UInt8] = {
        let hex = [
            "534c534701010003000101000000000000000224f5c4b3f9040101030002030001000000000063636301000000000000",
            "00000224b2b62c11020103010201bbfeffffffffffff09db8b0200e1d9ef00ba03030102000000000000044000000000",
            "000000009c7500883ce437fea96921cd010003010201000000000000000d0d0d0d000f0b4d0000b30a284fc58601ff96",
            "00000000000000000000000000000003030153210301019c7500883ce437fe00000000000004ffffffffffffffffffff",
            "7f0000000000000000000000000000000000000000ffffffffffffffffffffffffd2a74b590307000101051303000102",
            "06010401182403010100036363630202013c17030101bbfeffffffffffffffffffffffffffff96000000000000000000",
            "00000000000003030153210301019c7500883ce437fe0000000000000440040101741903010198ab0196b4020501018d",
            "011f03010180f7989a87eeb00380a0ac9eeef78606060201ac0139030101fbffffffffffffffffffffffffffffffffff",
            "ffffffffffffffffffffffffff7f77692deda9000000534c5347",
        ].joined()
        return bytes(hex: hex)
    }()

    @Test func pageLengthsPastThePageAreCorruptionNotATrap() throws {
        var file = Self.lengthOverflow
        // Repair the footer checksum as the fuzzer did.
        let trailer = file.count - SegmentFormat.trailerSize
        let length =
            Int(file[trailer + 4]) | Int(file[trailer + 5]) << 8 | Int(file[trailer + 6]) << 16
            | Int(file[trailer + 7]) << 24
        let crc = CRC32C.checksum(file[(trailer - length)..<trailer])
        for i in 0..<4 { file[trailer + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        let bytes = file
        let footer = try SegmentReader.footer(fileSize: bytes.count) { offset, length in
            Array(bytes[offset..<(offset + length)])
        }
        var errors = [FormatError]()
        for column in footer.columns {
            var vector = ColumnVector(type: column.lane == .bytes ? .string : .bigint)
            for page in column.pages where page.offset >= 0 && page.size >= 8 && page.offset + page.size <= bytes.count
            {
                var pageBytes = Array(bytes[page.offset..<(page.offset + page.size)])
                let body = pageBytes.count - 4
                let crc = CRC32C.checksum(pageBytes[0..<body])
                for i in 0..<4 { pageBytes[body + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
                do {
                    try PageCodec.decode(pageBytes, into: &vector, baseOffset: page.offset)
                } catch {
                    errors.append(error)
                }
            }
        }
        // Refused as damage (the lengths, or the dictionary size before them), not a trap.
        #expect(!errors.isEmpty)
        #expect(errors.allSatisfy { $0.code == .corruption || $0.code == .truncated }, "\(errors)")
    }

    /// FuzzSegment's second finding: integer runs whose count came from a damaged page (a huge
    /// count overflowed the bit-packed size; a delta run of none ranged 0..<-1); now refused.
    @Test func integerRunsWithImpossibleCountsAreCorruption() {
        var out = [Int64]()
        var huge = ByteReader([IntegerEncoding.bitPacked.rawValue] + Array(repeating: 0, count: 8) + [64])
        #expect(throws: FormatError.self) { try IntegerCodec.decode(count: 1 << 40, from: &huge, into: &out) }
        var empty = ByteReader([IntegerEncoding.delta.rawValue] + Array(repeating: 0, count: 17))
        #expect(throws: FormatError.self) { try IntegerCodec.decode(count: 0, from: &empty, into: &out) }
        #expect(out.isEmpty)
    }

    /// FuzzSegment's third finding (in CI): a footer whose page offset plus size overflowed `Int`
    /// trapped the footer check; now compared without adding.
    static let footerOverflow: [UInt8] = {
        let hex = [
            "534c534701010003000101000000000000000224e4000000000000000203010000000000000000023161636363010000",
            "80f7989a87eeb003ea2de54c0200030102ffffffffffffffffff5e0f45d6ffff7f000000000000000000000000000000",
            "00fbffffffffffff68ffffffffffffffffd2a74b59030700010105130300010206010401182403010100036363630202",
            "013c17030101bbfeffffffff00000000fbffffffffffffffffffffffffffffffd2a74b590501070102ffffffffffffff",
            "ffff5e0f45d6ffff7f00000000000000000000000000000000fbffffffffffff68ffffffffffffffffd2a74b59030700",
            "010105130300010206010401182403010100036363630202013c17030101bbfeffffffff0000ab0196b40205017f7769",
            "2deda9000000534c5347",
        ].joined()
        return bytes(hex: hex)
    }()

    @Test func pageEntriesPastTheFooterAreCorruptionNotATrap() {
        var file = Self.footerOverflow
        let trailer = file.count - SegmentFormat.trailerSize
        let length =
            Int(file[trailer + 4]) | Int(file[trailer + 5]) << 8 | Int(file[trailer + 6]) << 16
            | Int(file[trailer + 7]) << 24
        if trailer - length >= SegmentFormat.headerSize {
            let crc = CRC32C.checksum(file[(trailer - length)..<trailer])
            for i in 0..<4 { file[trailer + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        }
        let bytes = file
        #expect(throws: FormatError.self) {
            try SegmentReader.footer(fileSize: bytes.count) { offset, length in Array(bytes[offset..<(offset + length)])
            }
        }
    }
}
