/// A segment of a tablet, by rowset id and index within the rowset.
package struct SegmentAddress: Hashable, Sendable, Codable {
    package var rowset: Int64
    package var segment: Int

    package init(rowset: Int64, segment: Int) {
        self.rowset = rowset
        self.segment = segment
    }
}

/// A row of a tablet: its segment and row id.
package struct RowAddress: Hashable, Sendable {
    package var segment: SegmentAddress
    package var row: UInt32
}

/// Rows of one segment that a commit (or compaction) deletes.
package struct SegmentDeletes: Hashable, Sendable, Codable {
    package var segment: SegmentAddress
    package var rows: DeleteVector

    package init(segment: SegmentAddress, rows: DeleteVector) {
        self.segment = segment
        self.rows = rows
    }
}

/// The rows a batch of index changes superseded, by segment.
struct DeleteDeltas {
    var rows: [SegmentAddress: [UInt32]] = [:]

    var isEmpty: Bool { rows.isEmpty }

    var records: [SegmentDeletes] {
        rows.map { SegmentDeletes(segment: $0.key, rows: DeleteVector($0.value)) }
            .sorted { ($0.segment.rowset, $0.segment.segment) < ($1.segment.rowset, $1.segment.segment) }
    }
}

/// One tablet's primary index: every live key → the location of its one live row.
///
/// A location is `(segment slot << 32) | row id`; slots number the tablet's segments in the order
/// the index met them (in memory only: a rebuilt index numbers them afresh). Used on the write path
/// only (commits and compaction), never by queries.
struct PrimaryIndex: Sendable {
    /// One key of the index.
    enum Key {
        case integer(Int64)
        case bytes([UInt8])
    }

    private var integers: IntKeyTable
    private var others: [[UInt8]: UInt64] = [:]
    private let isInteger: Bool
    /// Keys changed since the index was last written as a snapshot (or built).
    var changesSinceSnapshot = 0
    private var slots: [SegmentAddress] = []
    private var slotOf: [SegmentAddress: UInt32] = [:]

    init(layout: PrimaryKeyLayout, capacity: Int = 0) {
        isInteger = layout.isInteger
        integers = IntKeyTable(capacity: isInteger ? capacity : 0)
    }

    var isIntegerKeyed: Bool { isInteger }

    /// Live keys.
    var count: Int { isInteger ? integers.count : others.count }

    /// Approximate heap bytes held (keys, locations, table slack).
    var memoryBytes: Int {
        if isInteger { return integers.memoryBytes + slots.count * 48 }
        var bytes = others.capacity * 24
        for key in others.keys { bytes += 32 + (key.count + 15) / 16 * 16 }
        return bytes + slots.count * 48
    }

    mutating func slot(_ address: SegmentAddress) -> UInt32 {
        if let slot = slotOf[address] { return slot }
        let slot = UInt32(slots.count)
        slots.append(address)
        slotOf[address] = slot
        return slot
    }

    func existingSlot(_ address: SegmentAddress) -> UInt32? { slotOf[address] }

    func address(of location: UInt64) -> (SegmentAddress, UInt32) {
        (slots[Int(location >> 32)], UInt32(truncatingIfNeeded: location))
    }

    @inline(__always)
    static func location(slot: UInt32, row: Int) -> UInt64 { UInt64(slot) << 32 | UInt64(row) }

    /// Points every key of a segment at its row; superseded rows go to `deltas`.
    mutating func upsert(_ keys: PrimaryKeys, segment: SegmentAddress, deltas: inout DeleteDeltas) {
        let slot = slot(segment)
        changesSinceSnapshot += keys.count
        switch keys {
        case .integers(let values):
            for (row, key) in values.enumerated() {
                if let old = integers.put(key, Self.location(slot: slot, row: row)) { record(old, &deltas) }
            }
        case .bytes(let offsets, let bytes):
            for row in 0..<(offsets.count - 1) {
                let key = Array(bytes[offsets[row]..<offsets[row + 1]])
                if let old = others.updateValue(Self.location(slot: slot, row: row), forKey: key) {
                    record(old, &deltas)
                }
            }
        }
    }

    /// The location of row `row`'s key, if the key is live.
    func location(_ keys: PrimaryKeys, row: Int) -> UInt64? {
        switch keys {
        case .integers(let values): integers.get(values[row])
        case .bytes(let offsets, let bytes): others[Array(bytes[offsets[row]..<offsets[row + 1]])]
        }
    }

    /// ``upsert(_:segment:deltas:)`` for the rows not in `skipped` (rows a merge condition dropped).
    mutating func upsert(
        _ keys: PrimaryKeys, segment: SegmentAddress, skipping skipped: Set<Int>, deltas: inout DeleteDeltas
    ) {
        guard !skipped.isEmpty else { return upsert(keys, segment: segment, deltas: &deltas) }
        let slot = slot(segment)
        changesSinceSnapshot += keys.count
        for row in 0..<keys.count where !skipped.contains(row) {
            let location = Self.location(slot: slot, row: row)
            let old: UInt64?
            switch keys {
            case .integers(let values): old = integers.put(values[row], location)
            case .bytes(let offsets, let bytes):
                old = others.updateValue(location, forKey: Array(bytes[offsets[row]..<offsets[row + 1]]))
            }
            if let old { record(old, &deltas) }
        }
    }

    /// Removes keys (a load's deletes); their rows go to `deltas`. Absent keys are no-ops.
    mutating func erase(_ keys: PrimaryKeys, deltas: inout DeleteDeltas) {
        changesSinceSnapshot += keys.count
        switch keys {
        case .integers(let values):
            for key in values { if let old = integers.remove(key) { record(old, &deltas) } }
        case .bytes(let offsets, let bytes):
            for row in 0..<(offsets.count - 1) {
                if let old = others.removeValue(forKey: Array(bytes[offsets[row]..<offsets[row + 1]])) {
                    record(old, &deltas)
                }
            }
        }
    }

    /// Adds a segment's live rows while building from disk.
    /// - Returns: the first row whose key is already live elsewhere (a corrupt tablet), or nil.
    mutating func insertLive(_ keys: PrimaryKeys, segment: SegmentAddress, deleted: DeleteVector) -> Int? {
        let slot = slot(segment)
        let mask = deleted.isEmpty ? nil : deleted.mask(rowCount: keys.count)
        switch keys {
        case .integers(let values):
            for (row, key) in values.enumerated() where mask?[row] != true {
                if integers.put(key, Self.location(slot: slot, row: row)) != nil { return row }
            }
        case .bytes(let offsets, let bytes):
            for row in 0..<(offsets.count - 1) where mask?[row] != true {
                let key = Array(bytes[offsets[row]..<offsets[row + 1]])
                if others.updateValue(Self.location(slot: slot, row: row), forKey: key) != nil { return row }
            }
        }
        return nil
    }

    /// Compaction's `try_replace`: row `row` of `keys` moves to `new` if its key still points at
    /// `expected`. - Returns: whether it moved (otherwise a later commit replaced or deleted it).
    mutating func replace(_ keys: PrimaryKeys, row: Int, expected: UInt64, new: UInt64) -> Bool {
        switch keys {
        case .integers(let values):
            guard integers.get(values[row]) == expected else { return false }
            integers.put(values[row], new)
        case .bytes(let offsets, let bytes):
            let key = Array(bytes[offsets[row]..<offsets[row + 1]])
            guard others[key] == expected else { return false }
            others[key] = new
        }
        return true
    }

    /// Adds an entry read from a snapshot. - Returns: false if the key is already there.
    mutating func restore(_ key: Key, _ location: UInt64) -> Bool {
        switch key {
        case .integer(let k): integers.put(k, location) == nil
        case .bytes(let k): others.updateValue(location, forKey: k) == nil
        }
    }

    /// Every entry (unordered).
    func forEachEntry(_ body: (Key, UInt64) -> Void) {
        if isInteger {
            integers.forEach { body(.integer($0), $1) }
        } else {
            for (key, location) in others { body(.bytes(key), location) }
        }
    }

    /// Every (key text, location) pair (fsck and tests compare indexes with it).
    func entries() -> [String: UInt64] {
        var result = [String: UInt64]()
        forEachEntry { key, location in
            switch key {
            case .integer(let k): result[String(k)] = location
            case .bytes(let k): result[k.map { String($0, radix: 16) }.joined(separator: ".")] = location
            }
        }
        return result
    }

    /// Every entry as key text → row, independent of slot numbering (fsck, tests).
    func rows() -> [String: RowAddress] {
        entries().mapValues {
            let (segment, row) = address(of: $0)
            return RowAddress(segment: segment, row: row)
        }
    }

    /// The corruption a duplicate live key means.
    static func duplicateMessage(tablet: Int64, _ duplicate: RowAddress) -> String {
        "tablet \(tablet): the key of row \(duplicate.row) of rowset \(duplicate.segment.rowset) segment \(duplicate.segment.segment) is live in another row too (its delete vectors are inconsistent)"
    }

    /// Adds the live rows of `tablet`'s data segments, except those in `skipping` (a build from the
    /// segments, or the segments a snapshot does not cover).
    /// - Returns: the first row whose key is already live elsewhere (a corrupt tablet), or nil.
    mutating func addLiveRows(
        of tablet: TabletMeta, skipping: Set<SegmentAddress> = [],
        readKeys: (RowsetMeta, SegmentMeta) throws -> PrimaryKeys
    ) rethrows -> RowAddress? {
        for rowset in tablet.rowsets {
            for segment in rowset.segments where segment.kind == .data && segment.liveRowCount > 0 {
                let address = SegmentAddress(rowset: rowset.id, segment: segment.index)
                guard !skipping.contains(address) else { continue }
                if let row = insertLive(try readKeys(rowset, segment), segment: address, deleted: segment.deleted) {
                    return RowAddress(segment: address, row: UInt32(row))
                }
            }
        }
        return nil
    }

    private func record(_ location: UInt64, _ deltas: inout DeleteDeltas) {
        let (segment, row) = address(of: location)
        deltas.rows[segment, default: []].append(row)
    }
}
