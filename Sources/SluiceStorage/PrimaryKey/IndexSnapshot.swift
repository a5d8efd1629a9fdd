import SluiceFormat
import SluiceIO

/// A primary index written to disk so a restart does not rescan every segment of a tablet
/// (docs/decisions/0010, docs/on-disk-format.md).
///
/// The snapshot names the data segments it covers with the number of deleted rows each had. It
/// stays usable while the tablet changes: entries whose row was deleted since are dropped (a
/// segment whose delete count grew is checked row by row), segments committed since are scanned
/// and added. If a covered segment was compacted away, the snapshot is ignored and the index is
/// rebuilt from the segments.
struct IndexSnapshot {
    static let magic: [UInt8] = Array("SLPI".utf8)
    static let formatVersion: UInt8 = 1

    struct Covered: Hashable {
        var address: SegmentAddress
        var deletedRows: Int
    }

    var integerKeys: Bool
    var covered: [Covered]
    /// (key, covered segment number, row).
    var integerEntries: [(Int64, UInt32, UInt32)] = []
    var byteEntries: [([UInt8], UInt32, UInt32)] = []

    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + (integerEntries.count + byteEntries.count) * 16)
        w.write(bytes: Self.magic)
        w.write(Self.formatVersion)
        w.write(UInt8(integerKeys ? 1 : 0))
        w.writeVarint(UInt64(covered.count))
        for c in covered {
            w.writeVarint(UInt64(c.address.rowset))
            w.writeVarint(UInt64(c.address.segment))
            w.writeVarint(UInt64(c.deletedRows))
        }
        if integerKeys {
            w.writeVarint(UInt64(integerEntries.count))
            for (key, segment, row) in integerEntries {
                w.write(key)
                w.writeVarint(UInt64(segment))
                w.writeVarint(UInt64(row))
            }
        } else {
            w.writeVarint(UInt64(byteEntries.count))
            for (key, segment, row) in byteEntries {
                w.writeLengthPrefixed(key)
                w.writeVarint(UInt64(segment))
                w.writeVarint(UInt64(row))
            }
        }
        w.write(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(FormatError) -> IndexSnapshot {
        guard bytes.count >= 10, Array(bytes[0..<4]) == magic else {
            throw FormatError(.corruption, "not a primary index snapshot", offset: 0)
        }
        let body = bytes.count - 4
        var tail = ByteReader(bytes, start: body)
        guard try tail.read(UInt32.self) == CRC32C.checksum(bytes[0..<body]) else {
            throw FormatError(.corruption, "primary index snapshot checksum mismatch", offset: body)
        }
        var r = ByteReader(bytes, start: 4, end: body)
        guard try r.read(UInt8.self) == formatVersion else {
            throw FormatError(.corruption, "unknown primary index snapshot version", offset: 4)
        }
        let integerKeys = try r.read(UInt8.self) == 1
        var snapshot = IndexSnapshot(integerKeys: integerKeys, covered: [])
        let segments = try r.readInt()
        for _ in 0..<segments {
            let rowset = Int64(try r.readVarint())
            let segment = try r.readInt()
            let deleted = try r.readInt()
            snapshot.covered.append(
                Covered(address: SegmentAddress(rowset: rowset, segment: segment), deletedRows: deleted))
        }
        let count = try r.readInt(maximum: Int.max)
        for _ in 0..<count {
            if integerKeys {
                let key = try r.read(Int64.self)
                snapshot.integerEntries.append(
                    (key, UInt32(try r.readInt()), UInt32(truncatingIfNeeded: try r.readVarint())))
            } else {
                let key = Array(try r.readLengthPrefixed())
                snapshot.byteEntries.append(
                    (key, UInt32(try r.readInt()), UInt32(truncatingIfNeeded: try r.readVarint())))
            }
        }
        guard r.isAtEnd else {
            throw FormatError(.corruption, "trailing bytes in primary index snapshot", offset: r.position)
        }
        return snapshot
    }
}

extension PrimaryIndex {
    /// The index as a snapshot covering `tablet`'s data segments, or nil if it points at a segment
    /// the tablet no longer has (then it is not consistent with `tablet`).
    func snapshot(of tablet: TabletMeta) -> IndexSnapshot? {
        var covered = [IndexSnapshot.Covered]()
        var number = [SegmentAddress: UInt32]()
        for rowset in tablet.rowsets {
            for segment in rowset.segments where segment.kind == .data {
                let address = SegmentAddress(rowset: rowset.id, segment: segment.index)
                number[address] = UInt32(covered.count)
                covered.append(.init(address: address, deletedRows: segment.deleted.count))
            }
        }
        var snapshot = IndexSnapshot(integerKeys: isIntegerKeyed, covered: covered)
        var consistent = true
        forEachEntry { key, location in
            let (address, row) = self.address(of: location)
            guard let n = number[address] else {
                consistent = false
                return
            }
            switch key {
            case .integer(let k): snapshot.integerEntries.append((k, n, row))
            case .bytes(let k): snapshot.byteEntries.append((k, n, row))
            }
        }
        return consistent ? snapshot : nil
    }

    /// An index from a snapshot brought up to date with `tablet`, or nil when the snapshot no
    /// longer describes it (a covered segment is gone, a key is live twice).
    static func restore(
        _ snapshot: IndexSnapshot, tablet: TabletMeta, layout: PrimaryKeyLayout,
        readKeys: (RowsetMeta, SegmentMeta) throws -> PrimaryKeys
    ) throws -> PrimaryIndex? {
        guard snapshot.integerKeys == layout.isInteger else { return nil }
        var live = [SegmentAddress: (RowsetMeta, SegmentMeta)]()
        for rowset in tablet.rowsets {
            for segment in rowset.segments where segment.kind == .data {
                live[SegmentAddress(rowset: rowset.id, segment: segment.index)] = (rowset, segment)
            }
        }
        var index = PrimaryIndex(layout: layout, capacity: tablet.rowCount)
        var slots = [UInt32]()
        var masks = [[Bool]?]()
        for covered in snapshot.covered {
            guard let (_, segment) = live[covered.address] else { return nil }
            slots.append(index.slot(covered.address))
            // Rows deleted since the snapshot: check its entries of that segment one by one.
            masks.append(
                segment.deleted.count == covered.deletedRows ? nil : segment.deleted.mask(rowCount: segment.rowCount))
        }
        func keep(_ segment: UInt32, _ row: UInt32) -> Bool? {
            guard Int(segment) < slots.count else { return nil }
            if let mask = masks[Int(segment)] { return Int(row) < mask.count && !mask[Int(row)] }
            return true
        }
        for (key, segment, row) in snapshot.integerEntries {
            guard let keep = keep(segment, row) else { return nil }
            if keep, !index.restore(.integer(key), PrimaryIndex.location(slot: slots[Int(segment)], row: Int(row))) {
                return nil
            }
        }
        for (key, segment, row) in snapshot.byteEntries {
            guard let keep = keep(segment, row) else { return nil }
            if keep, !index.restore(.bytes(key), PrimaryIndex.location(slot: slots[Int(segment)], row: Int(row))) {
                return nil
            }
        }
        // Segments committed after the snapshot.
        let covered = Set(snapshot.covered.map(\.address))
        if try index.addLiveRows(of: tablet, skipping: covered, readKeys: readKeys) != nil { return nil }
        return index
    }
}
