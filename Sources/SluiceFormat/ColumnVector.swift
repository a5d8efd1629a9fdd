/// A column of values of one ``ColumnType``: the unit the loader builds, segments store and the
/// evaluator computes on.
///
/// Only the array of the type's ``PhysicalType`` lane is used; the others stay empty. Nulls are a
/// byte per row (1 = NULL) and `nulls` is empty when the column has no NULL at all, so null-free
/// columns pay nothing. Strings are `offsets` (count + 1 entries) into `bytes`.
package struct ColumnVector: Sendable {
    package var type: ColumnType
    package var ints: [Int64] = []
    package var wides: [Int128] = []
    package var doubles: [Double] = []
    package var offsets: [Int] = [0]
    package var bytes: [UInt8] = []
    /// One byte per row, 1 = NULL; empty when no row is NULL.
    package var nulls: [UInt8] = []
    package var count: Int = 0
    /// Set when the column was decoded from one dictionary page: row `r` is entry `codes[r]`.
    /// A hint only (the strings are there as well); read it through ``dictionaryCodes``.
    var pageDictionary: (codes: [Int64], entries: Int)?

    /// The dictionary codes of a column decoded from one dictionary page (equal codes = equal
    /// strings, codes in `0..<entries`), or nil. Any append since decoding makes it nil.
    package var dictionaryCodes: (codes: [Int64], entries: Int)? {
        guard let pageDictionary, pageDictionary.codes.count == count else { return nil }
        return pageDictionary
    }

    /// An empty column with room for `capacity` rows.
    package init(type: ColumnType, capacity: Int = 0) {
        self.type = type
        guard capacity > 0 else { return }
        switch type.physical {
        case .int64: ints.reserveCapacity(capacity)
        case .int128: wides.reserveCapacity(capacity)
        case .float64: doubles.reserveCapacity(capacity)
        case .bytes: offsets.reserveCapacity(capacity + 1)
        }
    }

    package init(type: ColumnType, ints: [Int64], nulls: [UInt8] = []) {
        self.type = type
        self.ints = ints
        self.nulls = nulls
        self.count = ints.count
    }

    package init(type: ColumnType, wides: [Int128], nulls: [UInt8] = []) {
        self.type = type
        self.wides = wides
        self.nulls = nulls
        self.count = wides.count
    }

    package init(type: ColumnType, doubles: [Double], nulls: [UInt8] = []) {
        self.type = type
        self.doubles = doubles
        self.nulls = nulls
        self.count = doubles.count
    }

    package init(type: ColumnType, offsets: [Int], bytes: [UInt8], nulls: [UInt8] = []) {
        self.type = type
        self.offsets = offsets
        self.bytes = bytes
        self.nulls = nulls
        self.count = offsets.count - 1
    }

    /// A column of `count` copies of `value`.
    package init(type: ColumnType, repeating value: Value, count: Int) {
        self.init(type: type, capacity: count)
        for _ in 0..<count { append(value) }
    }

    package var hasNulls: Bool { !nulls.isEmpty }

    @inlinable
    package func isNull(_ row: Int) -> Bool { !nulls.isEmpty && nulls[row] != 0 }

    package var nullCount: Int {
        nulls.isEmpty ? 0 : nulls.reduce(0) { $0 + Int($1) }
    }

    // MARK: Appending

    @usableFromInline
    internal mutating func markNull(_ isNull: Bool) {
        if isNull {
            if nulls.isEmpty { nulls = [UInt8](repeating: 0, count: count) }
            nulls.append(1)
        } else if !nulls.isEmpty {
            nulls.append(0)
        }
        count += 1
    }

    @inlinable
    package mutating func appendInt(_ v: Int64) {
        ints.append(v)
        appendNotNullMark()
    }

    @inlinable
    package mutating func appendWide(_ v: Int128) {
        wides.append(v)
        appendNotNullMark()
    }

    @inlinable
    package mutating func appendDouble(_ v: Double) {
        doubles.append(v)
        appendNotNullMark()
    }

    @inlinable
    package mutating func appendBytes(_ raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: raw)
        offsets.append(bytes.count)
        appendNotNullMark()
    }

    @inlinable
    package mutating func appendBytes(_ b: some Collection<UInt8>) {
        bytes.append(contentsOf: b)
        offsets.append(bytes.count)
        appendNotNullMark()
    }

    @inlinable
    package mutating func appendNotNullMark() {
        if !nulls.isEmpty { nulls.append(0) }
        count += 1
    }

    /// Appends a NULL (a zero placeholder in the value lane).
    package mutating func appendNull() {
        switch type.physical {
        case .int64: ints.append(0)
        case .int128: wides.append(0)
        case .float64: doubles.append(0)
        case .bytes: offsets.append(bytes.count)
        }
        markNull(true)
    }

    /// Appends a value of this column's lane; a value of another lane is converted where exact.
    package mutating func append(_ value: Value) {
        switch (value, type.physical) {
        case (.null, _): appendNull()
        case (.int(let v), .int64): appendInt(v)
        case (.int(let v), .int128): appendWide(Int128(v))
        case (.int(let v), .float64): appendDouble(Double(v))
        case (.wide(let v), .int128): appendWide(v)
        case (.wide(let v), .int64): appendInt(Int64(truncatingIfNeeded: v))
        case (.wide(let v), .float64): appendDouble(Double(v))
        case (.double(let v), .float64): appendDouble(v)
        case (.double(let v), .int64): appendInt(Int64(v))
        case (.double(let v), .int128): appendWide(Int128(v))
        case (.bytes(let b), .bytes): appendBytes(b)
        default: appendNull()
        }
    }

    /// Appends row `row` of `other` (same lane).
    @inlinable
    package mutating func append(from other: ColumnVector, row: Int) {
        if other.isNull(row) {
            appendNull()
            return
        }
        switch type.physical {
        case .int64: appendInt(other.ints[row])
        case .int128: appendWide(other.wides[row])
        case .float64: appendDouble(other.doubles[row])
        case .bytes:
            let start = other.offsets[row], end = other.offsets[row + 1]
            other.bytes.withUnsafeBytes { raw in
                appendBytes(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
            }
        }
    }

    /// Appends every row of `other` (same lane).
    package mutating func append(contentsOf other: ColumnVector) {
        let base = count
        switch type.physical {
        case .int64: ints.append(contentsOf: other.ints)
        case .int128: wides.append(contentsOf: other.wides)
        case .float64: doubles.append(contentsOf: other.doubles)
        case .bytes:
            let shift = bytes.count
            bytes.append(contentsOf: other.bytes)
            offsets.append(contentsOf: other.offsets.dropFirst().map { $0 + shift })
        }
        if !other.nulls.isEmpty || !nulls.isEmpty {
            if nulls.isEmpty { nulls = [UInt8](repeating: 0, count: base) }
            if other.nulls.isEmpty {
                nulls.append(contentsOf: repeatElement(0, count: other.count))
            } else {
                nulls.append(contentsOf: other.nulls)
            }
        }
        count = base + other.count
    }

    // MARK: Reading

    /// The value at `row` in its lane.
    package func value(at row: Int) -> Value {
        if isNull(row) { return .null }
        switch type.physical {
        case .int64: return .int(ints[row])
        case .int128: return .wide(wides[row])
        case .float64: return .double(doubles[row])
        case .bytes: return .bytes(Array(bytes[offsets[row]..<offsets[row + 1]]))
        }
    }

    /// The bytes of row `row` of a bytes column.
    @inlinable
    package func byteSlice(_ row: Int) -> ArraySlice<UInt8> {
        bytes[offsets[row]..<offsets[row + 1]]
    }

    /// Appends the rows of `other` at `indices` (same lane), without an intermediate column.
    /// Values are copied through buffer pointers: one capacity check per call, not per row.
    package mutating func append(from other: ColumnVector, rows indices: [Int]) {
        let base = count
        switch type.physical {
        case .int64: ints.appendGathered(other.ints, indices, zero: 0)
        case .int128: wides.appendGathered(other.wides, indices, zero: 0)
        case .float64: doubles.appendGathered(other.doubles, indices, zero: 0)
        case .bytes:
            other.offsets.withUnsafeBufferPointer { starts in
                var total = 0
                for i in indices { total += starts[i + 1] - starts[i] }
                let firstOffset = offsets.count, firstByte = bytes.count
                offsets.grow(toHold: indices.count)
                offsets.append(contentsOf: repeatElement(0, count: indices.count))
                bytes.grow(toHold: total)
                bytes.append(contentsOf: repeatElement(0, count: total))
                offsets.withUnsafeMutableBufferPointer { ends in
                    bytes.withUnsafeMutableBytes { target in
                        other.bytes.withUnsafeBytes { source in
                            var at = firstByte
                            for (k, i) in indices.enumerated() {
                                let length = starts[i + 1] - starts[i]
                                if length > 0 {
                                    (target.baseAddress! + at).copyMemory(
                                        from: source.baseAddress! + starts[i], byteCount: length)
                                }
                                at += length
                                ends[firstOffset + k] = at
                            }
                        }
                    }
                }
            }
        }
        if !other.nulls.isEmpty || !nulls.isEmpty {
            if nulls.isEmpty { nulls = [UInt8](repeating: 0, count: base) }
            if other.nulls.isEmpty {
                nulls.append(contentsOf: repeatElement(0, count: indices.count))
            } else {
                nulls.appendGathered(other.nulls, indices, zero: 0)
            }
        }
        count = base + indices.count
    }

    /// The rows at `indices`, in that order.
    package func gather(_ indices: [Int]) -> ColumnVector {
        var out = ColumnVector(type: type, capacity: indices.count)
        out.append(from: self, rows: indices)
        if out.hasNulls, !out.nulls.contains(1) { out.nulls = [] }
        // A dictionary page's codes follow their rows (a scan skipping deleted rows keeps them).
        if let dictionary = dictionaryCodes {
            out.pageDictionary = (
                dictionary.codes.withUnsafeBufferPointer { codes in indices.map { codes[$0] } }, dictionary.entries
            )
        }
        return out
    }

    /// Rows `range` as a new column.
    package func slice(_ range: Range<Int>) -> ColumnVector {
        gather(Array(range))
    }

    /// Orders rows `a` and `b` of this column: NULL first, then by value (bytes lexicographic).
    @inlinable
    package func compareRows(_ a: Int, _ b: Int) -> Int {
        let na = isNull(a), nb = isNull(b)
        if na || nb { return na == nb ? 0 : (na ? -1 : 1) }
        switch type.physical {
        case .int64: return ints[a] < ints[b] ? -1 : (ints[a] > ints[b] ? 1 : 0)
        case .int128: return wides[a] < wides[b] ? -1 : (wides[a] > wides[b] ? 1 : 0)
        case .float64: return doubles[a] < doubles[b] ? -1 : (doubles[a] > doubles[b] ? 1 : 0)
        case .bytes: return compareBytes(byteSlice(a), byteSlice(b))
        }
    }

    /// Keeps only the rows at `rows` (ascending), compacting in place: no new arrays (a scan
    /// dropping the deleted rows of a page it just decoded).
    package mutating func retainRows(_ rows: [Int]) {
        let kept = rows.count
        guard kept < count else { return }
        rows.withUnsafeBufferPointer { rows in
            func compact<T>(_ array: inout [T]) {
                array.withUnsafeMutableBufferPointer { values in
                    for (k, r) in rows.enumerated() { values[k] = values[r] }
                }
                array.removeLast(array.count - kept)
            }
            switch type.physical {
            case .int64: compact(&ints)
            case .int128: compact(&wides)
            case .float64: compact(&doubles)
            case .bytes:
                offsets.withUnsafeMutableBufferPointer { offsets in
                    bytes.withUnsafeMutableBytes { bytes in
                        var at = 0
                        for (k, r) in rows.enumerated() {
                            let start = offsets[r], length = offsets[r + 1] - start
                            if length > 0, at != start {
                                (bytes.baseAddress! + at).copyMemory(
                                    from: bytes.baseAddress! + start, byteCount: length)
                            }
                            offsets[k] = at
                            at += length
                            // offsets[k + 1] is written on the next row (or below); offsets[r + 1]
                            // with r ≥ k is still unread or already consumed.
                            if k == kept - 1 { offsets[k + 1] = at }
                        }
                        if kept == 0 { offsets[0] = 0 }
                    }
                }
                offsets.removeLast(offsets.count - kept - 1)
                bytes.removeLast(bytes.count - offsets[kept])
            }
            if !nulls.isEmpty { compact(&nulls) }
            if let dictionary = pageDictionary, dictionary.codes.count == count {
                var codes = dictionary.codes
                compact(&codes)
                pageDictionary = (codes, dictionary.entries)
            } else {
                pageDictionary = nil
            }
        }
        count = kept
        if !nulls.isEmpty, !nulls.contains(1) { nulls = [] }
    }

    /// Negates every numeric value (wrapping; strings unchanged).
    package mutating func negate() {
        switch type.physical {
        case .int64: for i in ints.indices { ints[i] = 0 &- ints[i] }
        case .int128: for i in wides.indices { wides[i] = 0 &- wides[i] }
        case .float64: for i in doubles.indices { doubles[i] = -doubles[i] }
        case .bytes: break
        }
    }

    /// Approximate heap bytes held (for memory limits).
    package var memoryFootprint: Int {
        ints.count * 8 + wides.count * 16 + doubles.count * 8 + offsets.count * 8 + bytes.count + nulls.count
    }
}

extension Array {
    /// Appends `source[i]` for each of `indices` through buffer pointers (a lazy map's generic
    /// append was the bottleneck of gathering wide values).
    @inlinable
    mutating func appendGathered(_ source: [Element], _ indices: [Int], zero: Element) {
        let base = count
        append(contentsOf: repeatElement(zero, count: indices.count))
        withUnsafeMutableBufferPointer { target in
            source.withUnsafeBufferPointer { source in
                indices.withUnsafeBufferPointer { indices in
                    for k in 0..<indices.count { target[base + k] = source[indices[k]] }
                }
            }
        }
    }

    /// Makes room for `extra` more elements with geometric growth (a bare `reserveCapacity` of
    /// exactly `count + extra` would reallocate and copy on every call).
    @inlinable
    mutating func grow(toHold extra: Int) {
        let needed = count + extra
        if capacity < needed { reserveCapacity(Swift.max(needed, capacity * 2)) }
    }
}
