/// The layout of an immutable segment file (see docs/on-disk-format.md).
///
/// ```
/// "SLSG" u8 version                     header (5 bytes)
/// page … page                           every column's pages, column after column
/// footer                                SegmentFooter, encoded below
/// u32 crc32c(footer) u32 footerLength "SLSG"   trailer (12 bytes)
/// ```
package enum SegmentFormat {
    package static let magic: [UInt8] = Array("SLSG".utf8)
    package static let version: UInt8 = 1
    package static let headerSize = 5
    package static let trailerSize = 12
}

/// Where each page of a column lives and what it holds.
package struct PageEntry: Sendable, Hashable {
    package var offset: Int
    package var size: Int
    package var rowCount: Int
    package var nullCount: Int
    package var zone: PageCodec.ZoneMap?
}

/// Per-column page index of a segment.
package struct ColumnEntry: Sendable, Hashable {
    package var columnID: Int
    package var lane: PhysicalType
    package var pages: [PageEntry]
}

/// The segment footer: row count and per-column page indexes with zone maps.
package struct SegmentFooter: Sendable, Hashable {
    package var rowCount: Int
    package var columns: [ColumnEntry]

    package func column(id: Int) -> ColumnEntry? { columns.first { $0.columnID == id } }

    func encode() -> [UInt8] {
        var w = ByteWriter()
        w.writeVarint(UInt64(rowCount))
        w.writeVarint(UInt64(columns.count))
        for column in columns {
            w.writeVarint(UInt64(column.columnID))
            w.write(column.lane.rawValue)
            w.writeVarint(UInt64(column.pages.count))
            for page in column.pages {
                w.writeVarint(UInt64(page.offset))
                w.writeVarint(UInt64(page.size))
                w.writeVarint(UInt64(page.rowCount))
                w.writeVarint(UInt64(page.nullCount))
                if let zone = page.zone {
                    w.write(UInt8(1))
                    Self.writeValue(zone.min, lane: column.lane, into: &w)
                    Self.writeValue(zone.max, lane: column.lane, into: &w)
                } else {
                    w.write(UInt8(0))
                }
            }
        }
        return w.bytes
    }

    static func writeValue(_ value: Value, lane: PhysicalType, into w: inout ByteWriter) {
        switch value {
        case .int(let v): w.writeSignedVarint(v)
        case .wide(let v):
            w.write(UInt64(truncatingIfNeeded: v))
            w.write(Int64(truncatingIfNeeded: v >> 64))
        case .double(let d): w.write(d)
        case .bytes(let b): w.writeLengthPrefixed(b)
        case .null: break
        }
    }

    static func readValue(lane: PhysicalType, from r: inout ByteReader) throws(FormatError) -> Value {
        switch lane {
        case .int64: return .int(try r.readSignedVarint())
        case .int128:
            let low = try r.read(UInt64.self)
            let high = try r.read(Int64.self)
            return .wide(Int128(high) << 64 | Int128(low))
        case .float64: return .double(try r.readDouble())
        case .bytes: return .bytes(Array(try r.readLengthPrefixed()))
        }
    }

    /// Decodes a footer and checks every page entry lies inside `[header, footerStart)`.
    static func decode(_ bytes: [UInt8], baseOffset: Int, footerStart: Int) throws(FormatError) -> SegmentFooter {
        var r = ByteReader(bytes, baseOffset: baseOffset)
        let rowCount = try r.readInt(maximum: Int(Int32.max))
        let columnCount = try r.readInt(maximum: 100_000)
        var columns = [ColumnEntry]()
        for _ in 0..<columnCount {
            let id = try r.readInt()
            guard let lane = PhysicalType(rawValue: try r.read(UInt8.self)) else {
                throw FormatError(.corruption, "unknown column lane", offset: baseOffset + r.position)
            }
            let pageCount = try r.readInt()
            var pages = [PageEntry]()
            var rows = 0
            for _ in 0..<pageCount {
                let offset = try r.readInt(maximum: Int.max)
                let size = try r.readInt(maximum: Int.max)
                let pageRows = try r.readInt(maximum: PageCodec.maxPageRows)
                let nulls = try r.readInt(maximum: pageRows)
                var zone: PageCodec.ZoneMap?
                if try r.read(UInt8.self) == 1 {
                    zone = .init(min: try readValue(lane: lane, from: &r), max: try readValue(lane: lane, from: &r))
                }
                // Compared without adding: a damaged offset and size near Int.max must not overflow.
                guard offset >= SegmentFormat.headerSize, offset <= footerStart, size <= footerStart - offset else {
                    throw FormatError(.corruption, "page entry outside the segment", offset: baseOffset + r.position)
                }
                rows += pageRows
                pages.append(PageEntry(offset: offset, size: size, rowCount: pageRows, nullCount: nulls, zone: zone))
            }
            guard rows == rowCount else {
                throw FormatError(.corruption, "column \(id) has \(rows) rows, segment \(rowCount)", offset: baseOffset)
            }
            columns.append(ColumnEntry(columnID: id, lane: lane, pages: pages))
        }
        return SegmentFooter(rowCount: rowCount, columns: columns)
    }
}

/// Builds a segment file's bytes from whole columns (pure; the caller writes and syncs them).
package enum SegmentWriter {
    /// Encodes `columns` (identified by `columnIDs`) into one segment.
    /// - Returns: the file bytes and the footer (kept by the caller for zone-map pruning).
    package static func encode(
        columnIDs: [Int], columns: [ColumnVector], pageRows: Int = PageCodec.defaultPageRows
    ) -> (bytes: [UInt8], footer: SegmentFooter) {
        precondition(columnIDs.count == columns.count, "one id per column")
        let rowCount = columns.first?.count ?? 0
        var file = ByteWriter(capacity: 1 << 16)
        file.write(bytes: SegmentFormat.magic)
        file.write(SegmentFormat.version)
        var entries = [ColumnEntry]()
        for (id, column) in zip(columnIDs, columns) {
            precondition(column.count == rowCount, "columns of one segment have equal length")
            var pages = [PageEntry]()
            var start = 0
            while start < rowCount {
                let end = min(rowCount, start + pageRows)
                let (bytes, zone) = PageCodec.encode(column, range: start..<end)
                var nulls = 0
                if column.hasNulls { for r in start..<end where column.nulls[r] != 0 { nulls += 1 } }
                pages.append(
                    PageEntry(
                        offset: file.count, size: bytes.count, rowCount: end - start,
                        nullCount: nulls, zone: zone))
                file.write(bytes: bytes)
                start = end
            }
            entries.append(ColumnEntry(columnID: id, lane: column.type.physical, pages: pages))
        }
        let footer = SegmentFooter(rowCount: rowCount, columns: entries)
        let footerBytes = footer.encode()
        file.write(bytes: footerBytes)
        file.write(CRC32C.checksum(footerBytes))
        file.write(UInt32(footerBytes.count))
        file.write(bytes: SegmentFormat.magic)
        return (file.bytes, footer)
    }
}

/// Parses segment trailers and footers.
package enum SegmentReader {
    /// Decodes the footer of a segment of `fileSize` bytes.
    /// - Parameter read: reads `length` bytes at `offset` of the file.
    package static func footer(
        fileSize: Int, read: (_ offset: Int, _ length: Int) throws -> [UInt8]
    ) throws -> SegmentFooter {
        guard fileSize >= SegmentFormat.headerSize + SegmentFormat.trailerSize else {
            throw FormatError(.truncated, "segment of \(fileSize) bytes", offset: 0)
        }
        let header = try read(0, SegmentFormat.headerSize)
        guard Array(header[0..<4]) == SegmentFormat.magic else {
            throw FormatError(.corruption, "bad segment magic", offset: 0)
        }
        guard header[4] == SegmentFormat.version else {
            throw FormatError(.unsupported, "segment version \(header[4])", offset: 4)
        }
        let trailerOffset = fileSize - SegmentFormat.trailerSize
        let trailer = try read(trailerOffset, SegmentFormat.trailerSize)
        var r = ByteReader(trailer, baseOffset: trailerOffset)
        let crc = try r.read(UInt32.self)
        let length = Int(try r.read(UInt32.self))
        guard Array(trailer[8..<12]) == SegmentFormat.magic else {
            throw FormatError(.corruption, "bad segment trailer magic", offset: trailerOffset + 8)
        }
        let footerStart = trailerOffset - length
        guard footerStart >= SegmentFormat.headerSize else {
            throw FormatError(.corruption, "footer length \(length) exceeds file", offset: trailerOffset + 4)
        }
        let footerBytes = try read(footerStart, length)
        guard CRC32C.checksum(footerBytes) == crc else {
            throw FormatError(.corruption, "footer checksum mismatch", offset: footerStart)
        }
        return try SegmentFooter.decode(footerBytes, baseOffset: footerStart, footerStart: footerStart)
    }
}
