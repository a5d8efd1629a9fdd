import CLibFuzzer
import SluiceFormat

/// libFuzzer entry point for segment files: the input is a whole segment. Its checksums are
/// repaired first (the footer's and every page's), so mutations reach the footer and page
/// decoders instead of stopping at a CRC mismatch; then the footer is read and every page it
/// lists is decoded into a column of its lane. Damage must be reported, never crash or allocate
/// past what the bytes describe.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegment(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    repairFooterChecksum(&bytes)
    let file = bytes
    guard
        let footer = try? SegmentReader.footer(
            fileSize: file.count,
            read: { offset, length in
                guard offset >= 0, length >= 0, offset + length <= file.count else {
                    throw FormatError(.truncated, "read past the end", offset: offset)
                }
                return Array(file[offset..<(offset + length)])
            })
    else { return 0 }
    for column in footer.columns.prefix(64) {
        var vector = ColumnVector(type: FuzzLanes.type(column.lane))
        for page in column.pages.prefix(256) {
            guard page.offset >= 0, page.size >= 8, page.offset + page.size <= file.count else { continue }
            var pageBytes = Array(file[page.offset..<(page.offset + page.size)])
            let body = pageBytes.count - 4
            let crc = CRC32C.checksum(pageBytes[0..<body])
            for i in 0..<4 { pageBytes[body + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
            try? PageCodec.decode(pageBytes, into: &vector, baseOffset: page.offset)
        }
    }
    return 0
}

/// Rewrites the trailer's CRC to match the footer it points at (when the trailer is there).
func repairFooterChecksum(_ bytes: inout [UInt8]) {
    let trailer = bytes.count - SegmentFormat.trailerSize
    guard trailer >= SegmentFormat.headerSize else { return }
    let length =
        Int(bytes[trailer + 4]) | Int(bytes[trailer + 5]) << 8 | Int(bytes[trailer + 6]) << 16
        | Int(bytes[trailer + 7]) << 24
    let start = trailer - length
    guard start >= SegmentFormat.headerSize else { return }
    let crc = CRC32C.checksum(bytes[start..<trailer])
    for i in 0..<4 { bytes[trailer + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
}

enum FuzzLanes {
    /// A column type stored in `lane`.
    static func type(_ lane: PhysicalType) -> ColumnType {
        switch lane {
        case .int64: .bigint
        case .int128: .decimal(precision: 38, scale: 2)
        case .float64: .double
        case .bytes: .string
        }
    }
}

/// The executable's entry point (SwiftPM calls it `FuzzSegment_main`): libFuzzer's driver.
@_cdecl("FuzzSegment_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    sluice_fuzz_main(argc, argv) { data, size in fuzzSegment(data!, size) }
}
